# Sourced by bench/records.sh and bench/dashboard.sh (which set $peil, $here and $root): the
# demo city and the permit register of bench/gen_permits.py with its definition.
#
# permits_setup SITE WORK ROWS: builds the demo city at SITE and writes WORK/sectors.txt (its
# sectors), WORK/permits.csv (ROWS generated dossiers, seed 7) and WORK/vergunningen.toml (the
# register's definition, as crates/peil/tests/it/records.rs declares it).
permits_setup() {
    local site="$1" work="$2" rows="$3"
    "$peil" demo "$site" --no-serve > /dev/null 2>&1
    "$peil" --site "$site" export --live --level statsec 2> /dev/null \
        | awk -F, 'NR > 1 {print $3}' | sort -u > "$work/sectors.txt"
    python3 "$here/gen_permits.py" "$work/sectors.txt" "$rows" 7 "$work/permits.csv"
    python3 - "$root/crates/peil/tests/it/records.rs" > "$work/vergunningen.toml" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
print(re.search(r'pub\(crate\) const DEFINITION: &str = r#"(.*?)"#;', text, re.S).group(1))
PY
}
