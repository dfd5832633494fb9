#!/usr/bin/env bash
# Assembles Seek's default pretraining corpus from Debian packages into
# data/raw/, one folder per source (issue 7): real, messy, multi-source and
# multilingual text, exactly as the packages ship it.
#
#   data/raw/books/kjv/NN_Book.txt   the King James Bible, one file per book (bible-kjv)
#   data/raw/quotes/<lang>/<file>    fortune cookies in 13 languages (fortunes, fortunes-de, ...);
#                                    one file per fortune file, quotes separated by a line "%"
#   data/raw/docs/readme/...         /usr/share/doc/**/README*   (plain or .gz)
#   data/raw/docs/changelog/...      /usr/share/doc/**/changelog* (.gz, decompressed)
#   data/raw/docs/copyright/...      /usr/share/doc/**/copyright  (full of near-duplicate licences)
#   data/raw/docs/man/...            the first 200 man(1) pages, rendered to plain text
#
# The docs depend on what the machine has installed, so the corpus differs
# between machines; the pipeline's manifest records what it read. Files are
# copied as shipped (legacy encodings included: the pipeline repairs and
# counts invalid UTF-8), except that a fortune file's UTF-8 twin (.u8) is
# preferred when the package ships one. Idempotent: a complete corpus
# (data/raw/.complete) is left alone; delete it to rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."
raw=data/raw
[ -f "$raw/.complete" ] && { echo "corpus: data/raw complete ($(du -sh "$raw" | cut -f1))"; exit 0; }

mkdir -p "$raw/books" "$raw/quotes" "$raw/docs"
# setup.sh writes data/raw/kjv.txt (the tokenizer and trainer defaults read it
# there); the pipeline reads it as 66 documents, one per book of the Bible.
rm -rf "$raw/books" && mkdir -p "$raw/books/kjv"
awk -v dir="$raw/books/kjv" '{
  match($1, /^[0-9]?[A-Za-z]+/); book = substr($1, 1, RLENGTH)
  if (book != last) { n++; last = book; if (out) close(out); out = sprintf("%s/%02d_%s.txt", dir, n, book) }
  print > out }' "$raw/kjv.txt"

# Fortune packages and the language of their text (ISO 639-1).
declare -A LANG_OF=(
  [fortunes]=en [fortunes-min]=en [fortunes-bg]=bg [fortunes-br]=pt [fortunes-cs]=cs [fortunes-de]=de
  [fortunes-eo]=eo [fortunes-es]=es [fortunes-ga]=ga [fortunes-it]=it [fortunes-pl]=pl
  [fortunes-ru]=ru [fortunes-zh]=zh
)
rm -rf "$raw/quotes.tmp"
for pkg in "${!LANG_OF[@]}"; do
  lang=${LANG_OF[$pkg]}
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || continue
  dpkg -L "$pkg" | grep '^/usr/share/games/fortunes/' | while read -r f; do
    [ -f "$f" ] || continue
    case "$f" in *.dat|*.u8) continue ;; esac
    src=$f
    [ -s "$f.u8" ] && src="$f.u8"   # some packages ship an empty .u8
    rel=${f#/usr/share/games/fortunes/}
    # fortunes-cs ships Slovak under sk/.
    l=$lang
    case "$rel" in sk/*) l=sk ;; esac
    mkdir -p "$raw/quotes.tmp/$l"
    cp "$src" "$raw/quotes.tmp/$l/${rel//\//_}"
  done
done
rm -rf "$raw/quotes" && mv "$raw/quotes.tmp" "$raw/quotes"

# Technical documents.
rm -rf "$raw/docs.tmp" && mkdir -p "$raw/docs.tmp"/{readme,changelog,copyright,man}
find /usr/share/doc -maxdepth 2 -type f \( -iname 'README*' -o -iname 'changelog*' -o -name copyright \) \
    -size -4M | LC_ALL=C sort | while read -r f; do
  pkg=$(basename "$(dirname "$f")")
  name=$(basename "$f")
  case "$name" in
    copyright) kind=copyright ;;
    [Rr][Ee][Aa][Dd][Mm][Ee]*) kind=readme ;;
    *) kind=changelog ;;
  esac
  out="$raw/docs.tmp/$kind/${pkg}__${name%.gz}"
  case "$name" in
    *.gz) zcat "$f" > "$out" 2>/dev/null || rm -f "$out" ;;
    *.html|*.pdf|*.png|*.bz2|*.xz|*.zst) continue ;;
    *) cp "$f" "$out" ;;
  esac
done
n=0
for f in $(find /usr/share/man/man1 -maxdepth 1 -type f -name '*.1*' | LC_ALL=C sort); do
  [ $n -ge 200 ] && break
  name=$(basename "$f"); name=${name%.gz}
  if MANWIDTH=80 man --no-hyphenation --no-justification -l "$f" 2>/dev/null | col -bx > "$raw/docs.tmp/man/$name.txt" &&
     [ -s "$raw/docs.tmp/man/$name.txt" ]; then
    n=$((n + 1))
  else
    rm -f "$raw/docs.tmp/man/$name.txt"
  fi
done
rm -rf "$raw/docs" && mv "$raw/docs.tmp" "$raw/docs"
touch "$raw/.complete"
echo "corpus: data/raw: books $(du -shL "$raw/books" | cut -f1), quotes $(ls "$raw/quotes" | wc -l) languages" \
     "$(du -sh "$raw/quotes" | cut -f1), docs $(find "$raw/docs" -type f | wc -l) files $(du -sh "$raw/docs" | cut -f1)"
