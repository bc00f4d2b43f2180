#!/usr/bin/env bash
# The whole test suite (the README's second command; CI runs exactly this through .ci/run):
# installs what the tests need (pip, apt, npm), then runs every test of the workspace.
# Reuses a target directory outside the clone when one exists, and works from nothing too.
set -euo pipefail
cd "$(dirname "$0")"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peil-target}"
export CARGO_TERM_COLOR=never
mkdir -p "$CARGO_TARGET_DIR"

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (rustup) first" >&2
    exit 1
fi

# The Swing client tests (crates/peil/tests/it/odata.rs) run the real `stadincijfers` package.
python3 -m pip install --quiet stadincijfers
# The API client tests (crates/peil/tests/it/api_clients.rs) run real JSON-stat, CSVW and OpenAPI clients.
python3 -m pip install --quiet "pyjstat~=2.4.0" "jsonstat-validator~=0.4.6" "csvw~=4.1.1" "schemathesis~=4.32.5"
# The survey tests (crates/peil/tests/it/survey.rs) check intervals and verdicts against scipy.
python3 -m pip install --quiet scipy

# The records tests (crates/peil/tests/it/records.rs) compute every measure again with pandas.
python3 -m pip install --quiet pandas

# The DCAT-AP catalogue tests (crates/peil/tests/it/dcat.rs, web.rs) read the catalogue with rdflib
# and validate it against the official DCAT-AP shapes with pyshacl.
python3 -m pip install --quiet rdflib pyshacl
# The locations tests (crates/peil/tests/it/locations.rs) place points again with shapely, on the
# municipalities read with pyshp.
python3 -m pip install --quiet shapely pyshp
# The hostile-file tests (crates/peil/tests/it/hostile_files.rs) measure each refusal's peak
# memory through a small python3 process (standard library only).

# The browser tests (crates/peil/tests/it/browser.rs) drive the website in headless Chromium with
# Playwright, axe-core and Lighthouse (pinned in tests/browser/package-lock.json). Fonts make
# the screenshots readable.
# The report tests (crates/peil/tests/it/stories.rs, crates/peil-report) read PDFs back with
# poppler's pdftotext, pdfinfo and pdftoppm.
# The OData tests (crates/peil/tests/it/dcat.rs, web.rs) validate $metadata with libxml2's xmllint.
# The handbook's R examples (crates/peil/tests/it/handbook.rs) run R with httr2 and jsonlite.
# The PostgreSQL store's tests (crates/peil-store) start throwaway servers with initdb and pg_ctl
# (crates/peil-pgtest; as root through `runuser -u postgres`, the user the package creates).
# The failover test (crates/peil/tests/it/deploy.rs) runs nginx from deploy/nginx.conf.
if ! command -v chromium >/dev/null 2>&1 || ! PATH="$PATH:/usr/sbin" command -v nginx >/dev/null 2>&1 || ! dpkg -s postgresql >/dev/null 2>&1 || ! dpkg -s fonts-dejavu-core >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 || ! command -v xmllint >/dev/null 2>&1 || ! dpkg -s r-cran-httr2 r-cran-jsonlite >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core poppler-utils libxml2-utils r-base-core r-cran-httr2 r-cran-jsonlite postgresql nginx >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js 20 or newer first" >&2
    exit 1
fi
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

# Fuzzing (fuzz/run.sh): every target for a fixed number of inputs, in its own target dir.
# Needs the nightly toolchain, which CI cannot download: without it the step is skipped (the
# corpora still replay on stable in `cargo test --workspace`, tests named `fuzz_corpus`).
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
    fuzz/run.sh
else
    echo "no nightly toolchain: skipping fuzz/run.sh (the fuzz corpora still replay on stable)" >&2
fi

# Formatting and lints are enforced (clippy with every warning an error). rustfmt and clippy
# are components of the stable toolchain: added through rustup when missing.
for tool in fmt clippy; do
    component=$tool; [ "$tool" = fmt ] && component=rustfmt
    if ! cargo "$tool" --version >/dev/null 2>&1; then
        if ! command -v rustup >/dev/null 2>&1 || ! rustup component add "$component"; then
            echo "cargo $tool is missing and could not be installed: run 'rustup component add $component'" >&2
            exit 1
        fi
    fi
done
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

# Every test of the workspace.
cargo test --workspace

# The store matrix (issue 16): the same integration tests, run again with every site the
# helpers make on PostgreSQL (PEIL_TEST_STORE=postgres: tests/it/common.rs::on_postgres; one
# throwaway server for the process, a schema per site, dropped when its test is done; the demo
# built once per process as above, then a copy moved by `peil migrate-store` for each test).
# The same test binary as the run above, nothing built again (`-p peil`: `--workspace --test
# it` would run peil-compute's `it` too). The modules:
#   common::                                      the switch itself (each kind of site is where it says)
#   api:: odata:: selection:: one_rule:: dcat::   answers of every kind from a publication
#   figures:: engine_rules:: hierarchy:: survey:: import → compute → publish → read back
#   flanders:: geometry:: records:: hostile_files:: bad_input::   real files, records, refusals
#   privacy:: groups:: trust:: leak::             hidden cells, access groups, keys, hostile readers
#   workflow:: backup:: state::                   dry runs, undo, publish diff, rollback, backups
#   clusters::                                    cluster tables and their hidden cells
#   admin:: sources:: admin_content:: admin_metadata:: admin_themes::   the back office
#   connector::                                   a city pulling from a province
#   web:: stories:: plans:: serve:: errors:: sites:: demo::   pages, PDFs, scorecards, the server
#   snapshot_files::                              the mapped publication file of a store's live copy
#   oidc::                                        single sign-on, its flows in the store, a replica
#   locations::                                   records placed by their points
# 174 tests, about 5 minutes on two cores (204 s measured for the 152 before connector:: and
# admin_*:: were added, 69 s for those). Left to the SQLite pass: measure_sums:: (200 s on
# PostgreSQL); the SQLite crash tests (crash::; postgres.rs has its own); migrate::, whose
# `peil migrate` makes a new site directory, a SQLite site (moving one is migrate-store's);
# and the clients, browser, handbook and deploy modules, which test what the server answers
# rather than the store. postgres.rs has what only PostgreSQL has (replicas,
# notifications, report jobs, its crash tests). Tests that mean something only on a SQLite
# file end early there with `sqlite_only!`.
PEIL_TEST_STORE=postgres cargo test -p peil --test it -- \
    common:: api:: odata:: selection:: one_rule:: dcat:: figures:: engine_rules:: hierarchy:: survey:: \
    flanders:: geometry:: records:: hostile_files:: bad_input:: privacy:: groups:: trust:: leak:: \
    workflow:: backup:: state:: clusters:: admin:: sources:: web:: stories:: plans:: serve:: errors:: \
    sites:: demo:: admin_content:: admin_metadata:: admin_themes:: connector:: snapshot_files:: oidc:: locations::
