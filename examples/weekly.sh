#!/bin/sh
# 每周二早上运行:上一台账周(上周二至昨天周一)的周汇总和督查成绩单(含 Excel 工作簿),写入以日期命名的文件夹。
# Every Tuesday morning: last ledger week's summary and the report cards (text, CSV, JSON and
# the two workbooks for the meeting), into a dated folder. Every file is written by ledger
# itself (--output): no shell redirect, so each CSV keeps its BOM and Excel opens it.
#
#   crontab -e   then:   0 7 * * 2  /path/to/ledger/examples/weekly.sh /path/to/周报
#
# The ledger file is $LEDGER_DB (or the default one). The program: $LEDGER if set, else the
# ledger beside this folder (the unpacked Linux build: ledger/examples/weekly.sh next to
# ledger/ledger), found wherever cron or a shell starts the script; else ledger on PATH.
# The folder is $1, else ~/民情走访周报; a relative one is taken from where the script starts.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${LEDGER:-}" ]; then
    :
elif [ -f "$top/ledger" ] && [ -x "$top/ledger" ]; then   # a file: in a checkout ../ledger is the package
    LEDGER="$top/ledger"
elif command -v ledger >/dev/null 2>&1; then
    LEDGER=ledger
else
    echo "错误:找不到 ledger(不在 $top 里,也不在 PATH 中);可用 LEDGER=/路径/ledger 指定" >&2
    exit 2
fi
ROOT=${1:-"$HOME/民情走访周报"}
case $ROOT in /*) ;; *) ROOT="$(pwd)/$ROOT" ;; esac
today=$(date +%Y-%m-%d)
# Yesterday (Monday) lies in the week just ended. GNU date, else BSD/macOS date.
lastweek=$(date -d yesterday +%Y-%m-%d 2>/dev/null || date -v-1d +%Y-%m-%d)
dir="$ROOT/$today"
# Run again the same day, the script replaces its own files (--force); ledger never replaces
# a file without it.
mkdir -p "$dir"

"$LEDGER" summary --week "$lastweek" --force --output "$dir/周汇总.xlsx"     # for the meeting: charts, one sheet per table
"$LEDGER" report --force --output "$dir/督查成绩单.xlsx"                     # the county's two-level header, scores charted
"$LEDGER" summary --week "$lastweek" --force --output "$dir/周汇总.txt"
"$LEDGER" summary --week "$lastweek" --format json --force --output "$dir/summary.json"
"$LEDGER" summary --week "$lastweek" --format csv --force --output "$dir/周汇总.csv"
for by in unit township village; do
    "$LEDGER" report --by "$by" --force --output "$dir/督查成绩单-$by.txt"
    "$LEDGER" report --by "$by" --format csv --force --output "$dir/督查成绩单-$by.csv"
done
"$LEDGER" overdue --format csv --force --output "$dir/overdue.csv"
"$LEDGER" export demands --force --output "$dir/诉求台账.csv"     # masked, UTF-8 with BOM for Excel
echo "$dir"
