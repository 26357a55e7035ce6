@echo off
setlocal DisableDelayedExpansion
for /f "tokens=2 delims=:" %%c in ('chcp') do set "LEDGER_OLDCP=%%c"
chcp 936 >nul
rem Puts this folder (the unzipped ledger folder) on the CURRENT USER's Path, so that
rem "ledger" works in every NEW cmd or PowerShell window. No administrator rights needed.
rem Run it again at any time: it does nothing when the folder is there already.
rem
rem Encoding: this file is GBK (code page 936) with CRLF line ends, ASCII except the Chinese
rem messages. cmd.exe reads a batch file line by line in the console's code page, which is
rem 936 on Chinese Windows; "chcp 936" above (on the fourth line, before any Chinese one) makes it
rem 936 also where the console is set otherwise (the "Beta: UTF-8" option, English Windows),
rem and the code page found is set back at the end. Not "chcp 65001" with UTF-8: older cmd.exe
rem misreads multibyte lines of a batch file in code page 65001, and the console's raster font
rem cannot show them.
rem
rem How: only the user's own Path (HKCU\Environment) is read and written; not %PATH%, which
rem holds the system Path too, and not "setx PATH", which cuts the value at 1024 characters
rem and would copy the system Path into the user's. The value is read as stored, so entries
rem such as %USERPROFILE%\AppData\Local\Microsoft\WindowsApps stay unexpanded, and written back
rem with its type kept (REG_EXPAND_SZ): [Environment]::GetEnvironmentVariable('Path','User')
rem would expand them and SetEnvironmentVariable would store the result as REG_SZ.
rem [Environment]::SetEnvironmentVariable(..., 'User') is then called only to broadcast
rem WM_SETTINGCHANGE, on which Explorer rereads the user's environment for the windows it
rem opens next. A folder is "there" compared case-insensitively, with or without a trailing
rem backslash. Another folder on the Path that holds an older ledger.exe (ledger.exe and
rem _internal) is taken off it, so that the new version is the one found.
rem The folder reaches PowerShell in an environment variable, never inside a quoted command
rem line, so spaces, Chinese characters and & ( ) ! in it need no quoting.
set "LEDGER_HOME=%~dp0"
set "PS1=$ErrorActionPreference='Stop'; try {"
set "PS1=%PS1% $d=$env:LEDGER_HOME.TrimEnd('\');"
set "PS1=%PS1% $k=[Microsoft.Win32.Registry]::CurrentUser.CreateSubKey('Environment');"
set "PS1=%PS1% $old=[string]$k.GetValue('Path','',[Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames);"
set "PS1=%PS1% $kind='ExpandString'; if ($old -ne '' -and [string]$k.GetValueKind('Path') -eq 'String') { $kind='String' };"
set "PS1=%PS1% $keep=@(); $gone=@(); $here=$false;"
set "PS1=%PS1% foreach ($x in $old.Split(';')) { if ($x.Trim() -eq '') { continue };"
set "PS1=%PS1% $full=[Environment]::ExpandEnvironmentVariables($x.Trim().Trim([char]34)).TrimEnd('\');"
set "PS1=%PS1% if ($full -eq $d) { $here=$true; $keep+=$x }"
set "PS1=%PS1% elseif ($full -ne '' -and [IO.File]::Exists($full+'\ledger.exe') -and [IO.Directory]::Exists($full+'\_internal')) { $gone+=$full }"
set "PS1=%PS1% else { $keep+=$x } };"
set "PS1=%PS1% if ($here -and $gone.Count -eq 0) { exit 3 };"
set "PS1=%PS1% if (-not $here) { $keep+=$d };"
set "PS1=%PS1% $k.SetValue('Path', ($keep -join ';'), [Microsoft.Win32.RegistryValueKind]$kind);"
set "PS1=%PS1% [Environment]::SetEnvironmentVariable('LEDGER_PATH_BROADCAST', $null, 'User');"
set "PS1=%PS1% foreach ($g in $gone) { Write-Host ('  - '+$g) };"
set "PS1=%PS1% if ($gone.Count -gt 0) { exit 4 }; exit 0"
set "PS1=%PS1% } catch { Write-Host $_.Exception.Message; exit 2 }"
"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -Command "%PS1%"
set "LEDGER_RC=%errorlevel%"
rem From here on the folder is shown with delayed expansion (!...!), which happens after cmd
rem has looked for & ( ) and the like, so a folder named with them is shown as it is.
setlocal EnableDelayedExpansion
set "LEDGER_DIR=!LEDGER_HOME:~0,-1!"
echo.
if "%LEDGER_RC%"=="0" goto added
if "%LEDGER_RC%"=="4" goto replaced
if "%LEDGER_RC%"=="3" goto already
goto failed

:added
echo 已把本文件夹加入当前用户的 PATH(不需要管理员权限):
echo     !LEDGER_DIR!
goto new_windows

:replaced
echo 已更新当前用户的 PATH:本文件夹在其中,上面列出的旧版本 ledger 文件夹已去掉。
echo     !LEDGER_DIR!
goto new_windows

:already
echo 本文件夹已经在当前用户的 PATH 里,没有做任何修改:
echo     !LEDGER_DIR!
:new_windows
echo.
echo 之后新打开的 cmd 或 PowerShell 窗口里,在任何文件夹下都可以直接输入 ledger,
echo 例如 ledger --help。已经打开的命令行窗口看不到这个变化,请关掉重开。
goto end

:failed
echo 没有改成(见上面的提示)。可以手动添加:在开始菜单搜索“环境变量”,
echo 打开“编辑帐户的环境变量”,在“用户变量”里双击 Path,点“新建”,填入:
echo     !LEDGER_DIR!

:end
echo.
pause
if defined LEDGER_OLDCP chcp %LEDGER_OLDCP:.=% >nul 2>&1
