# 每周二早上运行:上一台账周的周汇总和督查成绩单,写入以日期命名的文件夹。
# Every Tuesday morning: last ledger week's summary and the report cards (text, CSV, JSON and
# the two Excel workbooks for the meeting), into a dated folder.
#
# Task Scheduler (任务计划程序): 设置每周任务.cmd in the unzipped ledger folder registers a weekly
# task (Tuesday 08:30) that runs examples\weekly.cmd, which runs this script; or by hand, an
# action such as
#   powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\path\to\weekly.ps1 D:\民情走访周报
# The ledger file is %LEDGER_DB% (or the default one). The program: %LEDGER% if set (e.g.
# C:\ledger\.venv\Scripts\ledger.exe); else ledger.exe in the folder above this script's (the
# unzipped build: ledger\examples\weekly.ps1 beside ledger\ledger.exe), found whatever the
# working directory (Task Scheduler starts in C:\Windows\System32) and PATH; else ledger on PATH.
# The folder is the first argument, else %USERPROFILE%\民情走访周报; a relative one is taken from
# where the script starts, made whole once here, so ledger.exe never reads it against another
# working directory. Windows PowerShell 5.1 (and 2.0): saved as UTF-8 with a BOM, CRLF.
param([string]$Root = (Join-Path $HOME "民情走访周报"))
$ErrorActionPreference = "Stop"
$here = if ($PSScriptRoot) { $PSScriptRoot } else { Split-Path -Parent $MyInvocation.MyCommand.Path }
$bundled = Join-Path (Split-Path -Parent $here) "ledger.exe"
if ($env:LEDGER) {
    $ledger = $env:LEDGER
} elseif (Test-Path -LiteralPath $bundled -PathType Leaf) {
    $ledger = $bundled
} elseif (Get-Command "ledger" -CommandType Application -ErrorAction SilentlyContinue) {
    $ledger = "ledger"
} else {
    [Console]::Error.WriteLine("错误:找不到 ledger.exe(不在 $($bundled),也不在 PATH 中);可用环境变量 LEDGER 指定")
    exit 2
}
$Root = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Root)
$today = Get-Date -Format "yyyy-MM-dd"
$lastweek = (Get-Date).AddDays(-1).ToString("yyyy-MM-dd")   # Monday: in the week just ended
$dir = Join-Path $Root $today
New-Item -ItemType Directory -Force -Path $dir | Out-Null

# ledger writes the files itself (--output, UTF-8 with BOM), so PowerShell's own encoding of
# redirected output never touches them.
function Run([string[]]$arguments) {
    & $ledger @arguments
    if ($LASTEXITCODE -ne 0) { throw "ledger $($arguments -join ' ') failed ($LASTEXITCODE)" }
}
Run @("summary", "--week", $lastweek, "--force", "--output", (Join-Path $dir "周汇总.xlsx"))
Run @("report", "--force", "--output", (Join-Path $dir "督查成绩单.xlsx"))
Run @("summary", "--week", $lastweek, "--force", "--output", (Join-Path $dir "周汇总.txt"))
Run @("summary", "--week", $lastweek, "--format", "json", "--force", "--output", (Join-Path $dir "summary.json"))
Run @("summary", "--week", $lastweek, "--format", "csv", "--force", "--output", (Join-Path $dir "周汇总.csv"))
foreach ($by in "unit", "township", "village") {
    Run @("report", "--by", $by, "--force", "--output", (Join-Path $dir "督查成绩单-$by.txt"))
    Run @("report", "--by", $by, "--format", "csv", "--force", "--output", (Join-Path $dir "督查成绩单-$by.csv"))
}
Run @("overdue", "--format", "csv", "--force", "--output", (Join-Path $dir "overdue.csv"))
Run @("export", "demands", "--force", "--output", (Join-Path $dir "诉求台账.csv"))
Write-Output $dir
