//! A look at an old binary .xls file before calamine parses it.
//!
//! calamine parses every sheet of an .xls when it opens the file and trusts what the BIFF
//! records say: it reserves room for the area a DIMENSIONS record declares (up to 2³² rows)
//! and builds a dense grid over the bounding box of the cells, whose row and column are
//! 16-bit numbers each (65,536 × 65,536 cells from two records). Both can end the process
//! with a failed allocation. So this module reads the compound file (CFB) far enough to find
//! the workbook stream, walks its records the way calamine does, and refuses the file when a
//! sheet's declared or used area is beyond the caps of [`crate::workbook`].
//!
//! Everything here is bounded by the file, which the caller has capped: every sector chain is
//! cut at the number of sectors in the file, and the records of all sheets together are
//! walked at most twice the stream's length (calamine walks a sheet from its BOUNDSHEET
//! position, so a file pointing many sheets at one place would otherwise cost quadratic time).

use crate::workbook::{MAX_CELLS, MAX_COLUMNS, cell_name};

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;

/// What is wrong with the file, for a problem; the cell (0-based) when there is one.
pub(crate) struct Refusal {
    pub sheet: Option<String>,
    pub at: Option<(u32, u32)>,
    pub what: String,
}

fn refuse(what: impl Into<String>) -> Refusal {
    Refusal {
        sheet: None,
        at: None,
        what: what.into(),
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The compound file: its sectors and allocation table.
struct Cfb<'a> {
    bytes: &'a [u8],
    shift: u32,
    fat: Vec<u32>,
}

impl<'a> Cfb<'a> {
    fn open(bytes: &'a [u8]) -> Result<Cfb<'a>, Refusal> {
        let bad = || refuse("not an .xls file (no compound-file header)");
        if !bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
            return Err(bad());
        }
        let shift = u16_at(bytes, 0x1E).ok_or_else(bad)? as u32;
        if shift != 9 && shift != 12 {
            return Err(bad());
        }
        let mut cfb = Cfb {
            bytes,
            shift,
            fat: Vec::new(),
        };
        // The FAT's own sectors: 109 in the header, the rest in a chain of DIFAT sectors.
        let mut fat_sectors: Vec<u32> = (0..109)
            .filter_map(|i| u32_at(bytes, 0x4C + 4 * i))
            .filter(|&s| s < END_OF_CHAIN - 2)
            .collect();
        let per = (1usize << shift) / 4;
        let mut difat = u32_at(bytes, 0x44).ok_or_else(bad)?;
        let mut hops = 0;
        while difat < END_OF_CHAIN - 2 && hops < cfb.sectors() {
            let s = cfb.sector(difat).ok_or_else(bad)?;
            fat_sectors.extend(
                (0..per - 1)
                    .filter_map(|i| u32_at(s, 4 * i))
                    .filter(|&x| x < END_OF_CHAIN - 2),
            );
            difat = u32_at(s, 4 * (per - 1)).ok_or_else(bad)?;
            hops += 1;
        }
        fat_sectors.truncate(cfb.sectors());
        let mut fat = Vec::new();
        for s in fat_sectors {
            let sector = cfb.sector(s).ok_or_else(bad)?;
            fat.extend((0..per).filter_map(|i| u32_at(sector, 4 * i)));
        }
        cfb.fat = fat;
        Ok(cfb)
    }

    fn sectors(&self) -> usize {
        (self.bytes.len() >> self.shift).saturating_sub(1)
    }

    fn sector(&self, n: u32) -> Option<&'a [u8]> {
        let size = 1usize << self.shift;
        let start = (n as usize + 1).checked_mul(size)?;
        self.bytes.get(start..start + size)
    }

    /// The bytes of a chain of sectors, cut at `len` and at the number of sectors in the file
    /// (a chain that loops ends there).
    fn chain(
        &self,
        start: u32,
        len: usize,
        table: &[u32],
        unit: usize,
        data: &dyn Fn(u32) -> Option<&'a [u8]>,
    ) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(len.min(self.bytes.len()));
        let mut s = start;
        let mut hops = 0;
        while s != END_OF_CHAIN && out.len() < len {
            if hops > self.bytes.len() / unit.max(1) {
                return None;
            }
            out.extend_from_slice(data(s)?);
            s = *table.get(s as usize)?;
            hops += 1;
        }
        out.truncate(len);
        Some(out)
    }

    /// A stream by name from the directory (`Workbook`, or `Book` for BIFF5).
    fn stream(&self, names: &[&str]) -> Option<Vec<u8>> {
        let size = 1usize << self.shift;
        let dir_start = u32_at(self.bytes, 0x30)?;
        let dir = self.chain(dir_start, self.bytes.len(), &self.fat, size, &|s| {
            self.sector(s)
        })?;
        let entries: Vec<&[u8]> = dir.chunks_exact(128).collect();
        let root = entries.first()?;
        let name_of = |e: &[u8]| {
            let n = (u16_at(e, 0x40).unwrap_or(0) as usize)
                .min(64)
                .saturating_sub(2);
            let units: Vec<u16> = e[..n]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        };
        let entry = names
            .iter()
            .find_map(|want| entries.iter().find(|e| e[0x42] == 2 && name_of(e) == *want))?;
        let start = u32_at(entry, 0x74)?;
        let len = (u32_at(entry, 0x78)? as usize).min(self.bytes.len());
        let cutoff = u32_at(self.bytes, 0x38)? as usize;
        if len >= cutoff {
            return self.chain(start, len, &self.fat, size, &|s| self.sector(s));
        }
        // A small stream lives in 64-byte sectors inside the root entry's mini stream.
        let mini_len = (u32_at(root, 0x78)? as usize).min(self.bytes.len());
        let mini = self.chain(u32_at(root, 0x74)?, mini_len, &self.fat, size, &|s| {
            self.sector(s)
        })?;
        let minifat_bytes = self.chain(
            u32_at(self.bytes, 0x3C)?,
            self.bytes.len(),
            &self.fat,
            size,
            &|s| self.sector(s),
        )?;
        let minifat: Vec<u32> = minifat_bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let shift = u16_at(self.bytes, 0x20)? as u32;
        if shift > 12 {
            return None;
        }
        let unit = 1usize << shift;
        self.chain(start, len, &minifat, unit, &|s| {
            let at = (s as usize).checked_mul(unit)?;
            mini.get(at..at + unit)
        })
    }
}

/// Checks an .xls file's sheets against the caps before calamine parses it.
pub(crate) fn check(bytes: &[u8]) -> Result<(), Refusal> {
    let cfb = Cfb::open(bytes)?;
    let stream = cfb
        .stream(&["Workbook", "Book"])
        .ok_or_else(|| refuse("no readable workbook stream in this .xls file"))?;
    // The globals substream lists the sheets: BOUNDSHEET records with their positions.
    let mut sheets = Vec::new();
    for (typ, data) in records(&stream, 0) {
        match typ {
            0x0085 if data.len() >= 4 => sheets.push(u32_at(data, 0).unwrap_or(0) as usize),
            0x000A => break,
            _ => {}
        }
    }
    let mut budget = 2 * stream.len() + (1 << 20);
    for (i, pos) in sheets.into_iter().enumerate() {
        if pos >= stream.len() {
            continue;
        }
        let sheet = |what: String, at: Option<(u32, u32)>| Refusal {
            sheet: Some(format!("#{}", i + 1)),
            at,
            what,
        };
        let mut bbox: Option<(u32, u32, u32, u32)> = None;
        let mut seen_bof = false;
        let mut depth = 0usize;
        for (typ, data) in records(&stream, pos) {
            budget = budget.saturating_sub(4 + data.len());
            if budget == 0 {
                return Err(refuse(
                    "the sheets of this .xls file point into each other; expected a file a spreadsheet program wrote",
                ));
            }
            // Mirrors calamine: nested substreams (charts) are skipped, the first BOF is the
            // sheet's own, its EOF ends the sheet.
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let mut cell = |row: u32, col: u32| -> Result<(), Refusal> {
                let b = bbox.get_or_insert((row, row, col, col));
                *b = (b.0.min(row), b.1.max(row), b.2.min(col), b.3.max(col));
                let (w, h) = ((b.3 - b.2) as u64 + 1, (b.1 - b.0) as u64 + 1);
                if b.3 >= MAX_COLUMNS || w * h > MAX_CELLS {
                    return Err(sheet(
                        format!(
                            "the sheet's cells span {w} columns by {h} rows (up to {})",
                            cell_name(row, col)
                        ),
                        Some((row, col)),
                    ));
                }
                Ok(())
            };
            let rc = |d: &[u8]| Some((u16_at(d, 0)? as u32, u16_at(d, 2)? as u32));
            match typ {
                0x0809 => {
                    if seen_bof {
                        depth += 1;
                    }
                    seen_bof = true;
                }
                0x000A => break,
                0x0200 => {
                    let (rf, rl, cf, cl) = match data.len() {
                        10 => (
                            u16_at(data, 0).map(u32::from),
                            u16_at(data, 2).map(u32::from),
                            u16_at(data, 4).map(u32::from),
                            u16_at(data, 6).map(u32::from),
                        ),
                        14 | 16 => (
                            u32_at(data, 0),
                            u32_at(data, 4),
                            u16_at(data, 8).map(u32::from),
                            u16_at(data, 10).map(u32::from),
                        ),
                        _ => continue,
                    };
                    let (Some(rf), Some(rl), Some(mut cf), Some(cl)) = (rf, rl, cf, cl) else {
                        continue;
                    };
                    if cf > 0xFF || cl < cf {
                        cf = 0;
                    }
                    if rl >= 1 && cl >= 1 {
                        let (rows, cols) = ((rl - 1).checked_sub(rf), (cl - 1).checked_sub(cf));
                        let area = match (rows, cols) {
                            (Some(r), Some(c)) => (r as u64 + 1).checked_mul(c as u64 + 1),
                            _ => None,
                        };
                        if area.is_none_or(|a| a > MAX_CELLS) {
                            return Err(sheet(
                                format!(
                                    "the sheet declares rows {} to {rl} and columns {} to {cl}",
                                    rf as u64 + 1,
                                    cf as u64 + 1
                                ),
                                Some((rl.saturating_sub(1), cl.saturating_sub(1))),
                            ));
                        }
                    }
                }
                // NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST, FORMULA: row and column first.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    if let Some((r, c)) = rc(data) {
                        cell(r, c)?;
                    }
                }
                // MULRK: row, first column, ..., last column.
                0x00BD if data.len() >= 6 => {
                    if let (Some((r, c)), Some(last)) = (rc(data), u16_at(data, data.len() - 2)) {
                        cell(r, c)?;
                        cell(r, (last as u32).max(c))?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// BIFF records from `pos`: (type, data), until the stream ends or a record runs past it.
fn records(stream: &[u8], pos: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = pos;
    std::iter::from_fn(move || {
        let typ = u16_at(stream, at)?;
        let len = u16_at(stream, at + 2)? as usize;
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((typ, data))
    })
}
