#!/bin/sh
# 添加到PATH.sh:让新开的终端里在任何目录下都能直接输入 ledger(只改当前用户,不需要 root)。
# 在解压出来的 ledger 文件夹里运行:  sh 添加到PATH.sh   (再运行一次也无妨)
#
# How: a symbolic link ~/.local/bin/ledger -> this folder's ledger, not a line
# export PATH="<folder>:$PATH" in ~/.profile. On Kylin (Ubuntu-based) and UOS (Debian-based)
# desktops the terminal opens a non-login bash, which never reads ~/.profile: PATH comes from
# the graphical login, where the display manager's session script reads ~/.profile once, and
# the stock ~/.profile of both puts ~/.local/bin on PATH when that folder exists. So either
# way the change shows after logging in again, and only when ~/.local/bin is new; but the link
# needs no shell code holding a folder name with spaces or Chinese in it, is one entry however
# often the script runs, and is simply replaced when a new version is unpacked elsewhere and
# its script run (the old folder's ledger is not left earlier on PATH). PyInstaller's program
# finds its _internal folder through the link (it resolves /proc/self/exe).
# Only when ~/.profile does not mention ~/.local/bin at all is a guarded line appended to it.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
program="$here/ledger"
if [ ! -f "$program" ] || [ ! -x "$program" ]; then
    echo "错误:$here 里没有可运行的 ledger;请在解压出来的 ledger 文件夹里运行本脚本" >&2
    exit 1
fi
bin="$HOME/.local/bin"
link="$bin/ledger"
mkdir -p "$bin"
if [ -L "$link" ] && [ "$(readlink "$link")" = "$program" ]; then
    echo "已经加好了,没有做任何修改:$link -> $program"
elif [ -e "$link" ] && [ ! -L "$link" ]; then
    echo "错误:$link 已存在且不是链接,没有改动它;请先移走它再运行本脚本" >&2
    exit 1
else
    ln -sfn "$program" "$link"
    echo "已添加:$link -> $program"
fi
case ":$PATH:" in
    *":$bin:"*|*":$bin/:"*)
        echo "新开的终端里在任何目录下都可以直接输入 ledger,例如 ledger --help。"
        ;;
    *)
        if ! grep -qs '\.local/bin' "$HOME/.profile"; then
            {
                echo ''
                echo '# ledger (添加到PATH.sh): ~/.local/bin on PATH'
                echo 'case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH" ;; esac'
            } >> "$HOME/.profile"
            echo "已在 ~/.profile 末尾加入 ~/.local/bin。"
        fi
        echo "~/.local/bin 还不在 PATH 里:注销后重新登录一次,之后新开的终端里就可以直接输入 ledger。"
        echo "在此之前可以输入完整路径:$link --help"
        ;;
esac
