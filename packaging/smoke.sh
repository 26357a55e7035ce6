#!/usr/bin/env bash
# The built program, used as a clerk uses it: one script, run against each archive.
#
#   bash packaging/smoke.sh dist/ledger-0.1.0-linux-x86_64.tar.gz
#   bash packaging/smoke.sh dist/ledger-0.1.0-windows-x64.zip
#
# It copies the archive, unpacks it into a fresh temporary folder and runs the program with
# no Python of ours: on Linux under `env -i` with a PATH of its own (no python on it), on
# Windows under Wine in a fresh prefix of its own (made here, code page 936 as on a Chinese
# Windows). It checks:
#   - SHA256SUMS holds for every file of the folder, and lists every file;
#   - --version, demo; a township set up from nothing, visits, a demand through its whole life
#     (classify, escalate twice, assign, notify, resolve, follow-up, close, issue show);
#   - summary and report on screen (piped), written with -o (.txt, .csv, .xlsx) and
#     redirected with `>` (Windows: by cmd, in GBK; Linux: by the shell, in UTF-8);
#   - CSV import of a GBK file and of a UTF-8-with-BOM file, a refused file, exact counts;
#   - both workbooks and two .docx notices opened by LibreOffice (PDF, pdftotext);
#   - the ledger in a folder with Chinese and a space in its path (--db), the program run
#     from such a folder;
#   - backup, restore (--force), check (and check --head);
#   - sync export from the township, sync import at the county, the county's view;
#   - an import of 30,000 rows killed (kill -9) mid-way leaves the file whole and unchanged
#     (check exits 0, the same number of demands); the same import, left to finish, adds 30,000;
#   - the documented exit codes (0, 1, 2), exactly; no traceback in any output.
# Each check prints "ok - ..." or "FAIL - ... (expected ..., got ...)"; the last line is
# "N passed, M failed"; the exit status is 0 only when M is 0. Lines starting with # are
# timings and notes. KEEP=1 keeps the temporary folder (it is kept anyway when a check fails).
# Needs: bash, tar or unzip, sha256sum, iconv, awk; Wine for the .zip (installed with
# apt-get as root when missing); LibreOffice and pdftotext (installed likewise).
set -u

archive=${1:-}
if [ -z "$archive" ] || [ ! -f "$archive" ]; then
    echo "usage: bash packaging/smoke.sh dist/ledger-VERSION-(linux-x86_64.tar.gz|windows-x64.zip)" >&2
    exit 2
fi
case "$archive" in
    *.tar.gz) platform=linux ;;
    *.zip) platform=windows ;;
    *) echo "smoke: not a .tar.gz or .zip: $archive" >&2; exit 2 ;;
esac
for v in ${!LEDGER_@}; do unset "$v"; done   # our own environment too: nothing leaks in

TODAY=2026-11-17
CLERK=测试员
started=$SECONDS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ledger-smoke.XXXXXX")
PASSED=0
FAILED=0
TRACE_HITS=()

note() { echo "# [$(printf '%4d' $((SECONDS - started)))s] $*"; }
pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1 ($2)"; }
short() {  # short TEXT: one line, at most 240 characters
    local s=${1//$'\r'/}
    s=${s//$'\n'/ ⏎ }
    [ ${#s} -gt 240 ] && s="${s:0:240}…"
    printf '%s' "$s"
}
has_all() {  # has_all TEXT WORD...: every WORD in TEXT; MISSING names the first missing one
    local text=$1 w
    shift
    MISSING=
    for w in "$@"; do
        case "$text" in *"$w"*) ;; *) MISSING=$w; return 1 ;; esac
    done
}
want() {  # want NAME RC WORD...: the last run exited RC and printed every WORD
    local name=$1 rc=$2
    shift 2
    if [ "$RC" != "$rc" ]; then
        fail "$name" "expected exit $rc, got exit $RC: $(short "$OUT")"
    elif ! has_all "$OUT" "$@"; then
        fail "$name" "expected “$MISSING” in the output, got: $(short "$OUT")"
    else
        pass "$name"
    fi
}
file_has() {  # file_has NAME TEXT WORD...: a file's decoded TEXT holds every WORD
    local name=$1 text=$2
    shift 2
    if has_all "$text" "$@"; then pass "$name"
    else fail "$name" "expected “$MISSING”, got: $(short "$text")"; fi
}
log_output() {  # every output is kept, for the traceback check at the end
    printf '=== %s\n%s\n' "$1" "$2" >> "$tmp/all-output.txt"
    case "$2" in *Traceback*|*内部错误*|*"internal error"*) TRACE_HITS+=("$1") ;; esac
}
finish() {
    local n
    # The files the program wrote as text too (its .txt and .csv, the redirected ones as GBK).
    local f
    for f in "${WORK:-$tmp/none}"/*.txt "${WORK:-$tmp/none}"/*.csv; do
        [ -f "$f" ] && [ "${f##*/}" != 三万条.csv ] || continue
        if iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1; then log_output "file ${f##*/}" "$(cat "$f")"
        else log_output "file ${f##*/}" "$(iconv -f GB18030 -t UTF-8 "$f" 2>&1)"; fi
    done
    n=$(grep -c 'Traceback\|内部错误\|internal error' "$tmp/all-output.txt" 2>/dev/null)
    if [ "${n:-0}" = 0 ] && [ ${#TRACE_HITS[@]} = 0 ]; then
        pass "no traceback nor internal error in any output ($(grep -c '^=== ' "$tmp/all-output.txt") outputs read)"
    else
        fail "no traceback in any output" "expected none, got ${n:-0} lines, in: $(short "${TRACE_HITS[*]}")"
    fi
    if [ "$platform" = windows ] && [ -n "${PFX:-}" ]; then
        wenv wineserver -k >/dev/null 2>&1
    fi
    [ "${RUNS:-0}" -gt 0 ] && note "$RUNS runs of the program, $((RUN_MS / RUNS)) ms each on average"
    note "done in $((SECONDS - started)) s ($platform)"
    if [ "$FAILED" = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$tmp"
    else
        echo "# the temporary folder is kept: $tmp"
    fi
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" = 0 ]
    exit
}

# --- the archive, unpacked -----------------------------------------------------------------
note "$platform: $archive -> $tmp"
cp "$archive" "$tmp/" || { fail "copy the archive" "cp failed"; finish; }
mkdir -p "$tmp/unpack" "$tmp/home" "$tmp/bin" "$tmp/tmp" "$tmp/pdf"
name=$(basename "$archive")
if [ $platform = linux ]; then
    tar -xzf "$tmp/$name" -C "$tmp/unpack"
else
    command -v unzip >/dev/null || { fail "unzip present" "no unzip on this machine"; finish; }
    unzip -q "$tmp/$name" -d "$tmp/unpack"   # Info-ZIP reads the Unicode path extra field
fi
RC=$?
root=$tmp/unpack/ledger
if [ $RC = 0 ] && [ -d "$root" ]; then pass "unpacked to ledger/"
else fail "unpacked to ledger/" "expected exit 0 and a folder ledger/, got exit $RC: $(ls "$tmp/unpack")"; finish; fi

if [ $platform = linux ]; then EXE=$root/ledger; else EXE=$root/ledger.exe; fi
missing=
for f in "$EXE" "$root/_internal" "$root/examples/township.toml" "$root/使用说明.txt" "$root/SHA256SUMS"; do
    [ -e "$f" ] || missing="$missing ${f#$root/}"
done
ls "$root"/templates/*.docx >/dev/null 2>&1 || missing="$missing templates/*.docx"
if [ -z "$missing" ]; then pass "the folder holds the program, _internal/, examples/township.toml, templates/*.docx, 使用说明.txt, SHA256SUMS"
else fail "the folder's files" "expected them all, missing:$missing"; fi

sums=$(cd "$root" && sha256sum -c --quiet SHA256SUMS 2>&1)
RC=$?
if [ $RC = 0 ]; then pass "SHA256SUMS holds for every file it lists ($(wc -l < "$root/SHA256SUMS") files)"
else fail "SHA256SUMS holds" "expected every file OK, got: $(short "$sums")"; fi
unlisted=$(cd "$root" && comm -23 <(find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort) \
                                  <(sed 's/^[0-9a-f]*  \*\{0,1\}//' SHA256SUMS | tr -d '\r' | LC_ALL=C sort))
if [ -z "$unlisted" ]; then pass "SHA256SUMS lists every file of the folder"
else fail "SHA256SUMS lists every file" "expected none left out, got: $(short "$unlisted")"; fi

# --- how the program is run ----------------------------------------------------------------
# The ledger folder: Chinese characters and a space in the path, used with --db.
if [ $platform = linux ]; then
    HOMEDIR=$tmp/张三/桌面
    DBARG=$HOMEDIR/民情\ 台账/台账.db
    LANG_RUN=C.UTF-8
else
    command -v wine >/dev/null || {
        note "installing Wine (apt-get)"
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wine64 wine) >/dev/null 2>&1
        fi
    }
    command -v wine >/dev/null || { fail "Wine present" "no wine, and it could not be installed"; finish; }
    # Wine takes its ANSI code page from the Unix locale: zh_CN.UTF-8 gives 936 (GBK).
    # Made here when the system has not generated it (no root needed).
    LOCPATH_RUN=
    if ! locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$'; then
        mkdir -p "$tmp/locale"
        localedef -i zh_CN -f UTF-8 "$tmp/locale/zh_CN.UTF-8" >/dev/null 2>&1 \
            && LOCPATH_RUN=$tmp/locale
    fi
    PFX=$tmp/wineprefix
    HOMEDIR=$PFX/drive_c/users/张三/桌面
    DBARG='C:\users\张三\桌面\民情 台账\台账.db'
fi
WORK=$HOMEDIR/民情\ 台账
DBFILE=$WORK/台账.db
mkdir -p "$WORK"

wenv() {  # wenv COMMAND...: a command in our Wine prefix, our environment only
    env -i HOME="$tmp/home" PATH=/usr/bin:/bin ${LOCPATH_RUN:+LOCPATH=$LOCPATH_RUN} \
        LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 WINEPREFIX="$PFX" WINEARCH=win64 WINEDEBUG=-all \
        WINEDLLOVERRIDES="mscoree,mshtml=" "$@"
}
decode() {  # the program's bytes as text: the ANSI code page (GBK) on Windows
    if [ $platform = windows ]; then iconv -f GB18030 -t UTF-8 2>/dev/null | tr -d '\r'; else cat; fi
}
raw() {  # raw ARGS...: the program itself, in $WORK, stdin closed, stdout and stderr piped
    if [ $platform = linux ]; then
        (cd "$WORK" && env -i HOME="$tmp/home" PATH="$tmp/bin" LANG=$LANG_RUN TMPDIR="$tmp/tmp" \
            "$EXE" "$@" 2>&1 </dev/null)
    else
        (cd "$WORK" && wenv wine "$EXE" "$@" 2>&1 </dev/null | cat; exit "${PIPESTATUS[0]}")
    fi
}
RUNS=0
RUN_MS=0
run() {  # run ARGS...: ledger ARGS; OUT its output (decoded), RC its exit code
    local t=$(date +%s%N)
    OUT=$(raw "$@" | decode; exit "${PIPESTATUS[0]}")
    RC=$?
    RUNS=$((RUNS + 1))
    RUN_MS=$((RUN_MS + ($(date +%s%N) - t) / 1000000))
    log_output "ledger $*" "$OUT"
}
L() {  # L ARGS...: run on the township's ledger, today fixed, the clerk named
    run --today $TODAY --user $CLERK --db "$DBARG" "$@"
}
count_demands() {  # count_demands [DB]: how many demands the ledger lists (CSV rows)
    local out
    out=$(raw --today $TODAY --db "${1:-$DBARG}" issue list --format csv | decode)
    log_output "issue list --format csv" "$out"
    printf '%s\n' "$out" | grep -c '^[^,]*20[0-9][0-9]-[0-9]'
}

if [ $platform = windows ]; then
    note "a fresh Wine prefix (wineboot)"
    # One server for the whole run (each command starts faster), and Wine's own services
    # started by wineboot with their output in a file: a service that inherited a pipe of
    # ours would hold it open, and a command substitution reading it would never end.
    wenv wineserver -p </dev/null >"$tmp/wineserver.log" 2>&1
    wenv wineboot -i </dev/null >"$tmp/wineboot.log" 2>&1
    acp=$(wenv wine reg query 'HKLM\System\CurrentControlSet\Control\Nls\CodePage' /v ACP 2>&1 </dev/null | tr -d '\r' | awk '/ACP/ {print $3}')
    if [ "$acp" = 936 ]; then pass "the Wine prefix's ANSI code page is 936 (GBK)"
    else fail "the Wine prefix's ANSI code page" "expected 936, got “$acp”"; fi
    mkdir -p "$WORK"
else
    # The program needs no outside tool off a terminal: its PATH is an empty folder of ours.
    PATH_TOOLS=$(ls "$tmp/bin")
    if [ -z "$PATH_TOOLS" ]; then pass "the program's PATH holds no python (a folder of our own, empty)"
    else fail "the program's PATH" "expected no python, got: $PATH_TOOLS"; fi
fi
note "ready"

# --- first use ------------------------------------------------------------------------------
version=$(echo "$name" | sed -n 's/^ledger-\([0-9][0-9.]*[0-9]\)-.*/\1/p')
run --version
want "ledger --version says ledger $version" 0 "ledger $version"
run --today $TODAY demo
want "ledger demo: exit 0, the demo ledger in Chinese" 0 "演示台账已建好" "村/社区" "诉求台账" "东坪村" "一人一账"

# The program run from a folder with Chinese characters in its path (where a clerk unpacks it).
mkdir -p "$HOMEDIR/台账 程序"
cp -r "$root" "$HOMEDIR/台账 程序/"
if [ $platform = linux ]; then
    OUT=$(env -i HOME="$tmp/home" PATH="$tmp/bin" LANG=C.UTF-8 "$HOMEDIR/台账 程序/ledger/ledger" --version 2>&1 </dev/null)
    RC=$?
else
    OUT=$(cd "$WORK" && wenv wine 'C:\users\张三\桌面\台账 程序\ledger\ledger.exe' --version 2>&1 </dev/null | decode; exit "${PIPESTATUS[0]}")
    RC=$?
fi
log_output "copied program --version" "$OUT"
want "the program runs from 张三/桌面/台账 程序/ledger (Chinese and a space in its path)" 0 "ledger $version"
rm -rf "$HOMEDIR/台账 程序"

note "a township from nothing"
L township add 青石镇;                        want "township add 青石镇" 0 "青石镇"
if [ -f "$DBFILE" ]; then pass "the ledger is created at 张三/桌面/民情 台账/台账.db (--db $DBARG)"
else fail "the ledger at the Chinese path" "expected $DBFILE, got: $(ls "$WORK")"; fi
L village add 东坪村;                          want "village add 东坪村" 0 "东坪村"
L village add 西岭村;                          want "village add 西岭村" 0 "西岭村"
L unit add 镇司法所 --level 镇级;              want "unit add 镇司法所 --level 镇级" 0 "镇司法所"
L unit add 县住建局 --level 县级;              want "unit add 县住建局 --level 县级" 0 "县住建局"
L cadre add 王建国 --unit 镇司法所;            want "cadre add 王建国" 0 "王建国"
L resident add 张秀兰 --village 东坪村 --phone 13812345678 --tag 独居老人
want "resident add 张秀兰" 0 "张秀兰"
L resident add 王芳 --village 西岭村;          want "resident add 王芳" 0 "王芳"

note "visits and a demand's whole life"
L visit log --village 东坪村 --resident 张秀兰 --cadre 王建国 --channel 入户走访 \
    --note "屋顶漏雨,独居" --issue "屋顶漏水" --date $TODAY
want "visit log with a demand: 2026-000001" 0 "已记录走访" "2026-000001"
L visit log --village 西岭村 --resident 王芳 --cadre 王建国 --channel 入户走访 \
    --issue "村口路灯不亮" --date $TODAY
want "visit log with a second demand: 2026-000002" 0 "2026-000002"
L issue classify 2026-000001 --category 基础设施 --complex
want "issue classify 2026-000001 --category 基础设施 --complex" 0 "分类完成"
L issue escalate 2026-000001 --reason "房屋主体结构问题,村里无力维修"
want "issue escalate (村 → 镇)" 0 "镇级"
L issue escalate 2026-000001 --reason "需县住建局鉴定"
want "issue escalate (镇 → 县)" 0 "县级"
L issue close 2026-000001
want "issue close before it is resolved: refused, exit 1" 1 "尚未办结"
L issue assign 2026-000001 --unit 县住建局 --handler 周工
want "issue assign --unit 县住建局" 0 "交办完成"
L issue notify 2026-000001 --text "已现场勘查,下周施工"
want "issue notify" 0 "告知进度完成"
L issue resolve 2026-000001 --result "屋顶已修复" --feedback "电话告知"
want "issue resolve" 0 "已办结"
L issue follow-up 2026-000001 --satisfaction 满意
want "issue follow-up --satisfaction 满意" 0 "回访完成"
L issue close 2026-000001
want "issue close" 0 "已销号"
L issue show 2026-000001
want "issue show: closed, with its history" 0 "已销号" "县住建局" "周工" "满意" "屋顶已修复" "销号日期" "上报" "交办" "回访"

note "exit codes"
before=$(sha256sum "$DBFILE" | cut -d' ' -f1)
L issue close 2026-000002
want "closing an unresolved demand: exit 1" 1 "2026-000002"
after=$(sha256sum "$DBFILE" | cut -d' ' -f1)
if [ "$before" = "$after" ]; then pass "a refused step leaves the file byte for byte as it was"
else fail "a refused step leaves the file as it was" "expected sha256 $before, got $after"; fi
L village add 东坪村
want "a village added twice: exit 1" 1 "东坪村"
L issue add "路灯坏了" --village 不存在村 --channel 入户走访
want "an unknown village: exit 2, with the nearest names" 2 "不存在村" "东坪村"
L issue add "路灯坏了" --village 东坪村 --date 2026-13-45
want "a malformed date: exit 2" 2 "2026-13-45"
L issue show 2026-999999
want "an unknown demand number: exit 2" 2 "2026-999999"
L no-such-command
want "an unknown command: exit 2" 2 "no-such-command"
printf 'this is not a ledger\n' > "$WORK/不是台账.db"
run --today $TODAY --db 不是台账.db check
want "a file that is not a ledger: exit 1, refused untouched" 1 "不是台账"
if [ "$(cat "$WORK/不是台账.db")" = "this is not a ledger" ]; then pass "the file that is not a ledger is untouched"
else fail "the file that is not a ledger is untouched" "expected its one line, got: $(short "$(cat "$WORK/不是台账.db")")"; fi
run --today $TODAY --db 没有的台账.db issue list
want "a ledger that does not exist, read: exit 1 (none created)" 1
if [ ! -e "$WORK/没有的台账.db" ]; then pass "reading a missing ledger creates nothing"
else fail "reading a missing ledger creates nothing" "expected no file, got 没有的台账.db"; fi

note "names Windows cannot hold, and the first screen"
for bad in NUL.txt con.csv 'lpt1.xlsx' '周报?.txt'; do
    L summary -o "$bad"
    want "summary -o $bad: refused, exit 2" 2 "$bad"
    if [ ! -e "$WORK/$bad" ]; then pass "nothing written as $bad"
    else fail "nothing written as $bad" "expected no file, got one"; fi
done
run
want "ledger with no arguments: the first screen, not waiting (a shell's console)" 0 "ledger demo" "每周二常用"
case "$OUT" in *按回车键关闭*) fail "no wait from a shell" "expected no Enter prompt, got one" ;;
    *) pass "no Enter prompt when started from a shell" ;; esac

note "summary and report"
L summary
want "summary on screen (piped)" 0 "民情走访周汇总" "本周受理" "东坪村" "西岭村" "合计"
L report
want "report on screen (piped)" 0 "督查成绩单" "县住建局" "约谈名单"
bom_text() {  # bom_text FILE: "BOM" and the text when FILE starts with a UTF-8 BOM
    if [ "$(head -c 3 "$1" | od -An -tx1 | tr -d ' \n')" = efbbbf ]; then printf 'BOM '; tail -c +4 "$1"; else printf 'no BOM: '; head -c 200 "$1"; fi
}
L summary -o 周汇总.txt
want "summary -o 周汇总.txt" 0
file_has "周汇总.txt: UTF-8 with a BOM, the summary" "$(bom_text "$WORK/周汇总.txt")" "BOM " "民情走访周汇总" "东坪村" "合计"
L report -o 成绩单.txt
want "report -o 成绩单.txt" 0
file_has "成绩单.txt: UTF-8 with a BOM, the report card" "$(bom_text "$WORK/成绩单.txt")" "BOM " "督查成绩单" "县住建局"
L summary --format csv -o 周汇总.csv
want "summary --format csv -o 周汇总.csv" 0
file_has "周汇总.csv: UTF-8 with a BOM, its header and rows" "$(bom_text "$WORK/周汇总.csv")" "BOM dimension,name,received" "village,东坪村,1" "village,西岭村,1"
L report --format csv -o 成绩单.csv
want "report --format csv -o 成绩单.csv" 0
file_has "成绩单.csv: UTF-8 with a BOM, the unit's row" "$(bom_text "$WORK/成绩单.csv")" "BOM rank,name,received" "县住建局"
L summary -o 周汇总.xlsx
want "summary -o 周汇总.xlsx" 0 "周汇总.xlsx"
L report -o 考核.xlsx
want "report -o 考核.xlsx" 0 "考核.xlsx"
for f in 周汇总.xlsx 考核.xlsx; do
    if [ "$(head -c 2 "$WORK/$f" 2>/dev/null)" = PK ]; then pass "$f is a workbook (a zip)"
    else fail "$f is a workbook" "expected a zip (PK), got: $(short "$(head -c 40 "$WORK/$f" 2>&1)")"; fi
done

# Redirected with `>`: on Windows by cmd (code page 936), on Linux by the shell.
if [ $platform = windows ]; then
    winexe="Z:${EXE//\//\\}"
    printf '@echo off\n"%s" --today %s --user %s --db "%s" summary > 周报.txt\nif errorlevel 1 exit /b %%errorlevel%%\n"%s" --today %s --db "%s" report > 成绩.txt\nexit /b %%errorlevel%%\n' \
        "$winexe" $TODAY $CLERK "$DBARG" "$winexe" $TODAY "$DBARG" \
        | sed 's/$/\r/' | iconv -f UTF-8 -t GBK > "$WORK/周报.cmd.tmp"
    mv "$WORK/周报.cmd.tmp" "$WORK/redirect.cmd"
    OUT=$(cd "$WORK" && wenv wine cmd /c redirect.cmd 2>&1 </dev/null | decode; exit "${PIPESTATUS[0]}")
    RC=$?
    log_output "cmd /c redirect.cmd" "$OUT"
    want "cmd /c: ledger.exe summary > 周报.txt, report > 成绩.txt (code page 936)" 0
    enc=GB18030
else
    (cd "$WORK" && env -i HOME="$tmp/home" PATH="$tmp/bin" LANG=$LANG_RUN TMPDIR="$tmp/tmp" \
        "$EXE" --today $TODAY --user $CLERK --db "$DBARG" summary > 周报.txt 2>"$tmp/redirect.err" </dev/null \
     && env -i HOME="$tmp/home" PATH="$tmp/bin" LANG=$LANG_RUN TMPDIR="$tmp/tmp" \
        "$EXE" --today $TODAY --db "$DBARG" report > 成绩.txt 2>>"$tmp/redirect.err" </dev/null)
    RC=$?
    OUT=$(cat "$tmp/redirect.err")
    log_output "summary > 周报.txt" "$OUT"
    want "the shell: ledger summary > 周报.txt, report > 成绩.txt" 0
    enc=UTF-8
fi
for pair in "周报.txt:民情走访周汇总:东坪村" "成绩.txt:督查成绩单:县住建局"; do
    IFS=: read -r f w1 w2 <<< "$pair"
    text=$(iconv -f $enc -t UTF-8 "$WORK/$f" 2>&1 | tr -d '\r')
    log_output "$f" "$text"
    file_has "$f read as $enc holds $w1 and $w2" "$text" "$w1" "$w2"
done

note "printed notices"
L doc assign 2026-000001 -o 交办单.docx
want "doc assign 2026-000001 -o 交办单.docx" 0 "交办单"
L doc resident 张秀兰 -o 一人一账-张秀兰.docx
want "doc resident 张秀兰 -o 一人一账-张秀兰.docx" 0 "一人一账"
L issue show 2026-000001
want "issue show lists the printing (打印文书)" 0 "打印文书"

note "CSV import"
n0=$(count_demands)
if [ "$n0" = 2 ]; then pass "the ledger lists 2 demands before the imports"
else fail "demands before the imports" "expected 2, got $n0"; fi
printf '受理日期,村/社区,反映人,渠道,诉求内容\n2026-11-16,东坪村,李四,入户走访,门前路灯不亮\n2026-11-16,西岭村,王五,意见箱,灌溉水渠堵塞\n2026-11-17,东坪村,赵六,工作电话,垃圾清运不及时\n' \
    | iconv -f UTF-8 -t GBK > "$WORK/诉求-GBK.csv"
L import 诉求-GBK.csv
want "import of a GBK file (3 rows)" 0 "新增 3 条"
n1=$(count_demands)
if [ "$n1" = $((n0 + 3)) ]; then pass "after the GBK file: $n1 demands (2 + 3)"
else fail "demands after the GBK file" "expected $((n0 + 3)), got $n1"; fi
printf '\xef\xbb\xbf受理日期,村/社区,反映人,渠道,诉求内容\r\n2026-11-15,西岭村,钱七,意见箱,小桥桥面破损需维修\r\n2026-11-15,东坪村,孙八,工作电话,邻里宅基地纠纷请求调解\r\n' \
    > "$WORK/诉求-BOM.csv"
L import 诉求-BOM.csv
want "import of a UTF-8 file with a BOM (2 rows)" 0 "新增 2 条"
n2=$(count_demands)
if [ "$n2" = $((n1 + 2)) ]; then pass "after the BOM file: $n2 demands (+2)"
else fail "demands after the BOM file" "expected $((n1 + 2)), got $n2"; fi
L resident show 钱七
want "an imported row's resident has a page (钱七)" 0 "钱七" "小桥桥面破损需维修"
printf '受理日期,村/社区,反映人,渠道,诉求内容\n2026-11-14,东坪村,周九,入户走访,水井抽水泵坏了\n2026-11-14,南山村,吴十,入户走访,村里没有南山村\n' \
    | iconv -f UTF-8 -t GBK > "$WORK/有错的.csv"
L import 有错的.csv
want "a file with a bad row (unknown village): exit 2, its row named" 2 "南山村" "第 3 行"
n3=$(count_demands)
if [ "$n3" = "$n2" ]; then pass "the refused file imported nothing ($n3 demands)"
else fail "the refused file imported nothing" "expected $n2, got $n3"; fi

note "LibreOffice opens the files"
if ! command -v soffice >/dev/null || ! command -v pdftotext >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        note "installing LibreOffice, Noto CJK and poppler-utils (apt-get)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk poppler-utils) >/dev/null 2>&1
    fi
fi
if command -v soffice >/dev/null && command -v pdftotext >/dev/null; then
    lo_out=$(cd "$WORK" && env -i HOME="$tmp/lo-home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
        timeout 300 soffice --headless --norestore --convert-to pdf --outdir "$tmp/pdf" \
        周汇总.xlsx 考核.xlsx 交办单.docx 一人一账-张秀兰.docx 2>&1 </dev/null)
    for spec in "周汇总:民情走访周汇总:东坪村" "考核:督查成绩单:县住建局" "交办单:2026-000001:县住建局" "一人一账-张秀兰:张秀兰:屋顶漏水"; do
        IFS=: read -r f w1 w2 <<< "$spec"
        if [ -s "$tmp/pdf/$f.pdf" ]; then
            text=$(pdftotext -layout "$tmp/pdf/$f.pdf" - 2>&1)
            if [ -n "$w2" ]; then file_has "LibreOffice opens ${f}: the PDF shows $w1 and $w2" "$text" "$w1" "$w2"
            else file_has "LibreOffice opens ${f}: the PDF shows $w1" "$text" "$w1"; fi
        else
            fail "LibreOffice opens $f" "expected $f.pdf, got: $(short "$lo_out")"
        fi
    done
else
    fail "LibreOffice and pdftotext present" "expected soffice and pdftotext, got neither installable"
fi

note "backup, restore, check"
L backup 备份.db
want "backup 备份.db prints the chain head" 0 "备份.db" "日志链头"
head=$(printf '%s\n' "$OUT" | sed -n 's/.*日志链头 \([0-9]*:[0-9a-f]\{16\}\).*/\1/p' | head -1)
L issue add "备份之后的诉求" --village 东坪村 --channel 入户走访
want "a demand added after the backup" 0 "已受理诉求"
n4=$(count_demands)
L restore 备份.db
want "restore over the ledger without --force: exit 1" 1 "--force"
L restore 备份.db --force
want "restore 备份.db --force" 0 "备份.db"
if ls "$WORK"/台账.db.before-restore-* >/dev/null 2>&1; then pass "the replaced ledger is kept as 台账.db.before-restore-DATE"
else fail "the replaced ledger is kept" "expected 台账.db.before-restore-*, got: $(short "$(ls "$WORK")")"; fi
n5=$(count_demands)
if [ "$n5" = $((n4 - 1)) ]; then pass "after the restore: $n5 demands, as at the backup"
else fail "demands after the restore" "expected $((n4 - 1)), got $n5"; fi
L check
want "check: exit 0, it prints the chain head" 0 "检查通过" "日志链头"
if [ -n "$head" ]; then
    L check --head "$head"
    want "check --head $head (the head the backup printed)" 0 "检查通过"
else
    fail "the chain head printed by backup" "expected 日志链头 N:HASH, got none"
fi
run --today $TODAY --db 备份.db check
want "check of the backup file itself" 0 "检查通过"

note "sync: the township and its county"
L sync export -o 青石镇.bundle
want "sync export -o 青石镇.bundle (the township's first bundle)" 0 "青石镇.bundle"
run --today $TODAY --user 县里 --db 县汇总.db sync name 县社工部
want "sync name 县社工部 (the county's ledger)" 0 "县社工部"
run --today $TODAY --user 县里 --db 县汇总.db sync import 青石镇.bundle
want "sync import 青石镇.bundle at the county" 0 "青石镇"
run --today $TODAY --user 县里 --db 县汇总.db issue show 2026-000001
want "the county sees the township's demand 青石镇:2026-000001, closed" 0 "青石镇:2026-000001" "屋顶漏水" "已销号" "县住建局"
nc=$(count_demands 县汇总.db)
if [ "$nc" = "$n5" ]; then pass "the county lists the township's $n5 demands"
else fail "the county's demands" "expected $n5, got $nc"; fi
run --today $TODAY --user 县里 --db 县汇总.db sync export --to 青石镇 -o 县-青石镇.bundle
want "the county answers: sync export --to 青石镇" 0 "县-青石镇.bundle"
L sync import 县-青石镇.bundle
want "the township imports the county's answer" 0
run --today $TODAY --db 县汇总.db check
want "check of the county's ledger" 0 "检查通过"

note "an import killed half-way"
awk 'BEGIN {
    print "受理日期,村/社区,渠道,诉求内容"
    for (i = 1; i <= 30000; i++)
        printf "2026-11-10,%s,入户走访,第%d件批量诉求:村道第%d段路面坑洼需要修补\n", (i % 2 ? "东坪村" : "西岭村"), i, i
}' > "$WORK/三万条.csv"
nb=$(count_demands)
L check
sum_before=$(printf '%s' "$OUT" | grep -o '[0-9]* 件诉求' | head -1)
if [ $platform = linux ]; then
    (cd "$WORK" && exec env -i HOME="$tmp/home" PATH="$tmp/bin" LANG=$LANG_RUN TMPDIR="$tmp/tmp" \
        "$EXE" --today $TODAY --user $CLERK --db "$DBARG" import 三万条.csv >"$tmp/import.out" 2>&1 </dev/null) &
    target=$!
else
    (cd "$WORK" && wenv wine "$EXE" --today $TODAY --user $CLERK --db "$DBARG" import 三万条.csv 2>&1 </dev/null | cat > "$tmp/import.out") &
    target=
fi
t0=$SECONDS
# Wait until it writes (the write-ahead log grows), then one more second, then kill -9.
wrote=
for _ in $(seq 1 600); do
    if [ $platform = windows ] && [ -z "$target" ]; then
        for p in /proc/[0-9]*; do
            tr '\0' '\n' < "$p/cmdline" 2>/dev/null | head -1 | grep -q 'ledger\.exe$' || continue
            tr '\0' '\n' < "$p/environ" 2>/dev/null | grep -qxF "WINEPREFIX=$PFX" || continue
            target=${p#/proc/}
            break
        done
    fi
    if [ -s "$DBFILE-wal" ]; then wrote=yes; break; fi
    [ -n "$target" ] && ! kill -0 "$target" 2>/dev/null && break
    sleep 0.1
done
sleep 1
if [ -n "$target" ] && kill -0 "$target" 2>/dev/null; then
    kill -9 "$target"
    note "killed the import (pid $target) $((SECONDS - t0)) s after it started; it had begun writing: ${wrote:-no}"
    wait 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$target" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$target" 2>/dev/null; then
        fail "the killed import is gone" "expected pid $target to have ended, it still runs"
    fi
    OUT=$(decode < "$tmp/import.out"); log_output "the killed import" "$OUT"
    if [ -n "$wrote" ]; then pass "the import of 30,000 rows was killed (kill -9) while it was writing"
    else fail "the import was killed while writing" "expected the write-ahead log to grow before the kill, got none"; fi
    L check
    want "check after the killed import: exit 0" 0 "检查通过" "$sum_before"
    na=$(count_demands)
    if [ "$na" = "$nb" ]; then pass "after the killed import: $na demands, exactly as before"
    else fail "demands after the killed import" "expected $nb, got $na"; fi
    # The same file, left to finish: the import that was killed was a good one.
    t1=$SECONDS
    L import 三万条.csv
    want "the same import left to finish: 30,000 rows added ($((SECONDS - t1)) s)" 0 "新增 30000 条"
    nf=$(count_demands)
    if [ "$nf" = $((nb + 30000)) ]; then pass "then $nf demands ($nb + 30,000)"
    else fail "demands after the finished import" "expected $((nb + 30000)), got $nf"; fi
    L check
    want "check after the finished import: exit 0" 0 "检查通过" "$((nb + 30000)) 件诉求"
else
    wait 2>/dev/null
    OUT=$(decode < "$tmp/import.out"); log_output "the import that was to be killed" "$OUT"
    fail "the import was killed half-way" "expected it still running after $((SECONDS - t0)) s, it had ended: $(short "$OUT")"
fi

finish
