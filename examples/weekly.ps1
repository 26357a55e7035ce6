# 每周二早上运行:上一台账周的周汇总和督查成绩单,写入以日期命名的文件夹。
# Every Tuesday morning: last ledger week's summary and the report cards (text, CSV, JSON and
# the two Excel workbooks for the meeting), into a dated folder.
#
# Task Scheduler (任务计划程序): a weekly task on Tuesday 07:00 whose action is
#   powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\path\to\weekly.ps1 D:\民情走访周报
# or run weekly.cmd, which does the same.
# The ledger file is %LEDGER_DB% (or the default one); set LEDGER to the full path of ledger.exe
# if it is not on PATH (e.g. C:\ledger\.venv\Scripts\ledger.exe).
param([string]$Root = (Join-Path $HOME "民情走访周报"))
$ErrorActionPreference = "Stop"
$ledger = if ($env:LEDGER) { $env:LEDGER } else { "ledger" }
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
