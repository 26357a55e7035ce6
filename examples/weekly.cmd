@echo off
rem 每周二早上运行 / Every Tuesday morning: see weekly.ps1
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0weekly.ps1" %*
