@echo off
setlocal DisableDelayedExpansion
for /f "tokens=2 delims=:" %%c in ('chcp') do set "LEDGER_OLDCP=%%c"
chcp 936 >nul
rem Registers the weekly task "民情台账周报" with Task Scheduler for the CURRENT USER, no
rem administrator rights: every Tuesday at 08:30 it runs examples\weekly.cmd of this folder
rem (last week's summary and report cards, into %USERPROFILE%\民情走访周报\DATE). schtasks
rem without /ru makes the task the user's own, run while that user is logged on. Run it again
rem after moving or upgrading the folder: /f replaces the task.
rem Remove it:  schtasks /delete /tn 民情台账周报 /f
rem
rem Encoding: this file is GBK (code page 936) with CRLF line ends, ASCII except the task's name
rem and the Chinese messages. cmd.exe reads a batch file line by line in the console's code
rem page, which is 936 on Chinese Windows; "chcp 936" above (the fourth line, before any
rem Chinese one) makes it 936 also where the console is set otherwise (the "Beta: UTF-8" option,
rem English Windows), and the code page found is set back at the end. Not "chcp 65001" with
rem UTF-8: older cmd.exe misreads multibyte lines of a batch file in code page 65001.
rem
rem Quoting of /tr: the command Task Scheduler stores must carry its own quotes,
rem   "D:\民情 台账\ledger\examples\weekly.cmd"
rem or a folder with a space is cut there. schtasks splits its command line by the C runtime's
rem rules, where \" is a quote inside an argument, hence  /tr "\"FOLDER\examples\weekly.cmd\"".
rem Between the \" pairs cmd.exe itself sees the folder as unquoted, so it is put in by delayed
rem expansion (!HERE!), which happens after cmd has looked for & ( ) ^ < > |: a folder named
rem "A&B" or "(x86)" stays one argument. HERE is set while delayed expansion is still off, so
rem a ! in the folder's name is kept.
set "HERE=%~dp0"
set "TASK=民情台账周报"
setlocal EnableDelayedExpansion
if not exist "!HERE!examples\weekly.cmd" goto missing
schtasks /create /tn "!TASK!" /sc weekly /d TUE /st 08:30 /tr "\"!HERE!examples\weekly.cmd\"" /f
if errorlevel 1 goto failed
echo.
echo 已设置每周任务“!TASK!”:每周二 08:30 运行
echo     !HERE!examples\weekly.cmd
echo 周报写到 !USERPROFILE!\民情走访周报\ 下以日期命名的文件夹。那时电脑要开着并已登录。
echo.
echo 马上试一次:schtasks /run /tn !TASK!
echo 不要了:    schtasks /delete /tn !TASK! /f
echo 程序文件夹移动或升级到别处后,在新文件夹里再双击一次本文件。
goto end

:missing
echo 找不到 examples\weekly.cmd,请在解压出来的 ledger 文件夹里运行本文件:
echo     !HERE!
goto end

:failed
echo.
echo 没有设置成功(见上面 schtasks 的提示)。也可以打开“任务计划程序”手动添加,
echo 每周二运行:  !HERE!examples\weekly.cmd

:end
echo.
pause
if defined LEDGER_OLDCP chcp %LEDGER_OLDCP:.=% >nul 2>&1
