#!/usr/bin/env python3
"""ANSI (tmux capture-pane -e) to HTML, for docs/editor-neovim.png.
Handles SGR: reset, bold, italic, underline, reverse, 16/256/24-bit colours."""
import html
import re
import sys

BASE16 = ["#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
          "#666666", "#d54e53", "#b9ca4a", "#e7c547", "#7aa6da", "#c397d8", "#70c0b1", "#eaeaea"]


def c256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def convert(text, fg0="#c5c8c6", bg0="#1d1f21"):
    out = []
    st = {"fg": None, "bg": None, "b": False, "i": False, "u": False, "r": False}
    pos = 0
    for m in re.finditer(r"\x1b\[([0-9;:]*)m", text):
        out.append((dict(st), text[pos:m.start()]))
        pos = m.end()
        codes = [int(x) if x else 0 for x in re.split("[;:]", m.group(1))] or [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                st = {"fg": None, "bg": None, "b": False, "i": False, "u": False, "r": False}
            elif c == 1: st["b"] = True
            elif c == 3: st["i"] = True
            elif c == 4: st["u"] = True
            elif c == 7: st["r"] = True
            elif c == 22: st["b"] = False
            elif c == 23: st["i"] = False
            elif c == 24: st["u"] = False
            elif c == 27: st["r"] = False
            elif 30 <= c <= 37: st["fg"] = BASE16[c - 30]
            elif 90 <= c <= 97: st["fg"] = BASE16[c - 90 + 8]
            elif 40 <= c <= 47: st["bg"] = BASE16[c - 40]
            elif 100 <= c <= 107: st["bg"] = BASE16[c - 100 + 8]
            elif c == 39: st["fg"] = None
            elif c == 49: st["bg"] = None
            elif c in (38, 48) and i + 1 < len(codes):
                key = "fg" if c == 38 else "bg"
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    st[key] = c256(codes[i + 2]); i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    st[key] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5]); i += 4
            i += 1
    out.append((dict(st), text[pos:]))
    parts = []
    for s, t in out:
        if not t:
            continue
        fg, bg = s["fg"] or fg0, s["bg"] or bg0
        if s["r"]:
            fg, bg = bg, fg
        css = "color:%s;background:%s" % (fg, bg)
        if s["b"]: css += ";font-weight:bold"
        if s["i"]: css += ";font-style:italic"
        if s["u"]: css += ";text-decoration:underline"
        parts.append('<span style="%s">%s</span>' % (css, html.escape(t)))
    return ("<!doctype html><meta charset=utf-8><body style='margin:0;background:%s'>"
            "<pre style='margin:0;padding:12px;font:15px/1.25 \"DejaVu Sans Mono\",monospace;color:%s'>%s</pre>"
            % (bg0, fg0, "".join(parts)))


if __name__ == "__main__":
    sys.stdout.write(convert(open(sys.argv[1], encoding="utf-8").read()))
