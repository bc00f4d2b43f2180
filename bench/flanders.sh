# Sourced by the benchmark scripts: builds the Flanders benchmark site once per work folder.
# flanders_site PEIL WORK SHARED [geometry]
#   the real statsec2019/statsec2024/ggw72024/gemeente2024 definitions and aggregation tables
#   and the Fluvius energy file (and, with `geometry`, the ggw72024 and gemeente2024 maps),
#   published, in WORK/site; WORK/site.ready marks it done.
flanders_site() {
    local peil="$1" work="$2" shared="$3" geometry="${4:-}"
    local site="$work/site"
    [ -s "$work/site.ready" ] && return 0
    rm -rf "$site"; "$peil" init "$site" > /dev/null
    local p="$peil --site $site import"
    for l in statsec2019 statsec2024 ggw72024 gemeente2024; do $p "$shared/swing/gebiedsdefinities/$l.xlsx" > /dev/null; done
    for t in statsec2024_ggw72024 statsec2024_gemeente2024 statsec2019_statsec2024; do $p "$shared/swing/aggregatietabellen/$t.xlsx" > /dev/null 2>&1; done
    if [ -n "$geometry" ]; then
        $p "$shared/geo/lambert72/ggw72024.shp" > /dev/null
        $p "$shared/geo/lambert72/gemeente2024.shp" > /dev/null
    fi
    $p "$shared/stats/fluvius_energy_statsec2019_2018_2021.csv" > /dev/null 2>&1
    "$peil" --site "$site" publish > /dev/null
    echo ok > "$work/site.ready"
}
