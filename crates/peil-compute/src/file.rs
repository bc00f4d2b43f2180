//! The published snapshot as a file the server maps into memory (issue 16).
//!
//! A publication's values are most of a snapshot (40 million values are 325 MB of slots). A
//! server that reads them from the store holds them in its own memory, decoded, and a second
//! process on the same machine holds a second copy. Written once per publication as one file,
//! the values are instead mapped: start-up reads the small index only, several processes share
//! the pages of one file, and the resident memory grows with what readers ask for.
//!
//! The file is written where the server keeps its snapshots (`<site>/.snapshots/` by default)
//! by `peil publish`, from the snapshot it has just published, and by a server that finds no
//! file for the live generation, from the store's live copy series by series (in the memory of
//! one series). Both write the same bytes ([`Writer`] takes series in key order). The name
//! holds the generation and a fingerprint of the publication ([`fingerprint`]: its time and
//! figures), so a file is never taken for another publication with the same number (a store
//! restored from a backup numbers again).
//!
//! Layout, little endian, columnar (each series one contiguous column of 8-byte slots):
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | `PEILSNAP` |
//! | 8..12 | format version (1) |
//! | 12..16 | CRC-32 of bytes 16..[`HEADER`] and of the index |
//! | 16..24 | generation |
//! | 24..32 | fingerprint |
//! | 32..40 | number of slots (they start at [`HEADER`], 8-aligned) |
//! | 40..48 | index offset (after the slots) |
//! | 48..56 | index length in bytes |
//! | 56..60 | CRC-32 of the slots |
//! | 60..64 | number of series |
//! | 64..72 | values that are not empty (`PublishStats::values`) |
//! | 72..80 | hidden values (`x`) |
//!
//! The index holds per series: the first slot (u64), the number of slots (u32), then the
//! indicator, level, period and cube cell codes, each as a u16 length and UTF-8 bytes.
//!
//! Opening checks the magic, version, generation, fingerprint, sizes and both CRCs (the slots'
//! by reading the file, not through the map, so that the check leaves nothing resident): a
//! damaged or foreign file is refused and written again from the store.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use peil_core::{DimKey, Period, SeriesKey};

use crate::slot::Slot;

const MAGIC: &[u8; 8] = b"PEILSNAP";
const VERSION: u32 = 1;
/// Bytes before the first slot (a multiple of 8, so that slots are aligned in the map).
pub const HEADER: usize = 80;
/// The suffix of snapshot files in a snapshot directory.
pub const SUFFIX: &str = ".peilsnap";

/// Files of earlier publications a directory keeps besides the live one (a rollback, or a
/// second process still serving the previous publication, finds it there).
const KEEP: usize = 2;

/// A publication's fingerprint: FNV-1a over its generation, time and figures as the store
/// keeps them.
pub fn fingerprint(generation: u64, at: &str, stats: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in generation
        .to_le_bytes()
        .iter()
        .chain(at.as_bytes())
        .chain([0u8].iter())
        .chain(stats.as_bytes())
    {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The file name of a publication's snapshot.
pub fn file_name(generation: u64, fingerprint: u64) -> String {
    format!("{generation:012}-{fingerprint:016x}{SUFFIX}")
}

fn invalid(what: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.into())
}

/// Writes a snapshot file: series in key order ([`key_order`]), then [`Writer::finish`] puts
/// the file in place under its name in one rename.
pub struct Writer {
    out: BufWriter<File>,
    dir: PathBuf,
    tmp: PathBuf,
    index: Vec<u8>,
    slots: u64,
    crc: crc32fast::Hasher,
    series: u32,
    values: u64,
    hidden: u64,
    buf: Vec<u8>,
}

/// The order series are written in: by indicator, level, period and cube cell codes (bytewise),
/// the order of the store's live copy.
pub fn key_order(a: &SeriesKey, b: &SeriesKey) -> std::cmp::Ordering {
    (&a.indicator, &a.level, a.period.code(), a.dims.to_text()).cmp(&(
        &b.indicator,
        &b.level,
        b.period.code(),
        b.dims.to_text(),
    ))
}

impl Writer {
    /// Starts a file in `dir` (made if missing) under a temporary name.
    pub fn create(dir: &Path) -> std::io::Result<Writer> {
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp = dir.join(format!(".tmp-{}-{nanos}", std::process::id()));
        // Readable by the site's own user only, as the store is: a restricted indicator's
        // values are in the file.
        let file = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?
        };
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&[0u8; HEADER])?;
        Ok(Writer {
            out,
            dir: dir.to_path_buf(),
            tmp,
            index: Vec::new(),
            slots: 0,
            crc: crc32fast::Hasher::new(),
            series: 0,
            values: 0,
            hidden: 0,
            buf: Vec::new(),
        })
    }

    /// Adds one series.
    pub fn series(&mut self, key: &SeriesKey, slots: &[Slot]) -> std::io::Result<()> {
        let len = u32::try_from(slots.len()).map_err(|_| invalid("a series too long"))?;
        self.index.extend_from_slice(&self.slots.to_le_bytes());
        self.index.extend_from_slice(&len.to_le_bytes());
        for text in [
            key.indicator.as_str(),
            key.level.as_str(),
            &key.period.code(),
            &key.dims.to_text(),
        ] {
            let n = u16::try_from(text.len()).map_err(|_| invalid("a code too long"))?;
            self.index.extend_from_slice(&n.to_le_bytes());
            self.index.extend_from_slice(text.as_bytes());
        }
        self.buf.clear();
        for s in slots {
            self.buf.extend_from_slice(&s.bits().to_le_bytes());
            if !s.is_none() {
                self.values += 1;
            }
            if s.same(Slot::HIDDEN) {
                self.hidden += 1;
            }
        }
        self.crc.update(&self.buf);
        self.out.write_all(&self.buf)?;
        self.slots += u64::from(len);
        self.series += 1;
        Ok(())
    }

    /// Writes the index and header, syncs the file and renames it to its name for
    /// `generation` and `fingerprint`. Returns its path.
    pub fn finish(mut self, generation: u64, fingerprint: u64) -> std::io::Result<PathBuf> {
        let index_at = HEADER as u64 + self.slots * 8;
        self.out.write_all(&self.index)?;
        let mut h = [0u8; HEADER];
        h[0..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[16..24].copy_from_slice(&generation.to_le_bytes());
        h[24..32].copy_from_slice(&fingerprint.to_le_bytes());
        h[32..40].copy_from_slice(&self.slots.to_le_bytes());
        h[40..48].copy_from_slice(&index_at.to_le_bytes());
        h[48..56].copy_from_slice(&(self.index.len() as u64).to_le_bytes());
        h[56..60].copy_from_slice(&self.crc.clone().finalize().to_le_bytes());
        h[60..64].copy_from_slice(&self.series.to_le_bytes());
        h[64..72].copy_from_slice(&self.values.to_le_bytes());
        h[72..80].copy_from_slice(&self.hidden.to_le_bytes());
        let mut c = crc32fast::Hasher::new();
        c.update(&h[16..]);
        c.update(&self.index);
        h[12..16].copy_from_slice(&c.finalize().to_le_bytes());
        self.out.flush()?;
        let f = self.out.get_mut();
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&h)?;
        f.sync_all()?;
        let path = self.dir.join(file_name(generation, fingerprint));
        std::fs::rename(&self.tmp, &path)?;
        // The rename itself is durable once the directory is synced.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        self.tmp = PathBuf::new();
        Ok(path)
    }
}

impl Drop for Writer {
    /// A file never finished is removed.
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// One series of an opened file: its key and where its slots are.
pub struct Entry {
    pub key: SeriesKey,
    pub start: usize,
    pub len: usize,
}

/// An opened snapshot file, mapped.
pub struct Mapped {
    map: memmap2::Mmap,
    slots: usize,
    /// Values that are not empty, and hidden ones, as the writer counted them.
    pub values: u64,
    pub hidden: u64,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

impl Mapped {
    /// Opens and checks the file of publication `generation` with `fingerprint` in `dir`:
    /// `Ok(None)` when there is none; an error of kind `InvalidData` when it is damaged or not
    /// that publication's.
    pub fn open(
        dir: &Path,
        generation: u64,
        fingerprint: u64,
    ) -> std::io::Result<Option<(Mapped, Vec<Entry>)>> {
        let path = dir.join(file_name(generation, fingerprint));
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let size = f.metadata()?.len();
        let mut h = [0u8; HEADER];
        f.read_exact(&mut h)
            .map_err(|_| invalid("shorter than its header"))?;
        if &h[0..8] != MAGIC || u32_at(&h, 8) != VERSION {
            return Err(invalid("not a snapshot file of this version"));
        }
        if u64_at(&h, 16) != generation || u64_at(&h, 24) != fingerprint {
            return Err(invalid("the file of another publication"));
        }
        let slots = u64_at(&h, 32);
        let (index_at, index_len) = (u64_at(&h, 40), u64_at(&h, 48));
        if slots
            .checked_mul(8)
            .and_then(|b| b.checked_add(HEADER as u64))
            != Some(index_at)
            || index_at.checked_add(index_len) != Some(size)
        {
            return Err(invalid("sizes that do not add up"));
        }
        // The slots' CRC, read through the file (the map stays untouched until a reader asks).
        let mut crc = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut left = slots * 8;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            f.read_exact(&mut buf[..n])?;
            crc.update(&buf[..n]);
            left -= n as u64;
        }
        if crc.finalize() != u32_at(&h, 56) {
            return Err(invalid("values that do not match their checksum"));
        }
        let mut index = vec![0u8; index_len as usize];
        f.read_exact(&mut index)?;
        let mut c = crc32fast::Hasher::new();
        c.update(&h[16..]);
        c.update(&index);
        if c.finalize() != u32_at(&h, 12) {
            return Err(invalid(
                "a header or index that does not match its checksum",
            ));
        }
        let entries = parse_index(&index, u32_at(&h, 60) as usize, slots)?;
        // SAFETY: the file is opened read-only and Peil never writes a snapshot file after it
        // is renamed into place (a new publication is a new file); a file removed while
        // mapped stays valid for the map.
        let map = unsafe { memmap2::Mmap::map(&f)? };
        if map.len() as u64 != size {
            return Err(invalid("changed while it was opened"));
        }
        Ok(Some((
            Mapped {
                map,
                slots: slots as usize,
                values: u64_at(&h, 64),
                hidden: u64_at(&h, 72),
            },
            entries,
        )))
    }

    /// Every slot of the file, in file order.
    #[cfg(target_endian = "little")]
    pub fn slots(&self) -> &[Slot] {
        let bytes = &self.map[HEADER..HEADER + self.slots * 8];
        assert_eq!(bytes.as_ptr() as usize % std::mem::align_of::<Slot>(), 0);
        // SAFETY: `Slot` is `repr(transparent)` over `f64`, for which every 8 bytes are a
        // valid value; the bytes are 8-aligned (a map starts on a page, `HEADER` is a
        // multiple of 8, checked above), little endian like the target, within the map and
        // borrowed from `self`, which owns the map.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<Slot>(), self.slots) }
    }
}

fn parse_index(b: &[u8], count: usize, slots: u64) -> std::io::Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(count);
    let mut at = 0usize;
    let take = |at: &mut usize, n: usize| -> std::io::Result<&[u8]> {
        let s = b
            .get(*at..*at + n)
            .ok_or_else(|| invalid("an index cut short"))?;
        *at += n;
        Ok(s)
    };
    for _ in 0..count {
        let start = u64::from_le_bytes(take(&mut at, 8)?.try_into().expect("8 bytes"));
        let len = u32::from_le_bytes(take(&mut at, 4)?.try_into().expect("4 bytes"));
        if start
            .checked_add(u64::from(len))
            .is_none_or(|end| end > slots)
        {
            return Err(invalid("a series beyond the values"));
        }
        let mut texts: [String; 4] = Default::default();
        for t in &mut texts {
            let n = u16::from_le_bytes(take(&mut at, 2)?.try_into().expect("2 bytes"));
            *t = std::str::from_utf8(take(&mut at, n as usize)?)
                .map_err(|_| invalid("an index code that is not UTF-8"))?
                .to_string();
        }
        let [indicator, level, period, dims] = texts;
        let period = Period::parse(&period).map_err(|_| invalid("an index period"))?;
        let dims = DimKey::parse(&dims).ok_or_else(|| invalid("an index cube cell"))?;
        out.push(Entry {
            key: SeriesKey {
                indicator,
                level,
                period,
                dims,
            },
            start: start as usize,
            len: len as usize,
        });
    }
    if at != b.len() {
        return Err(invalid("an index longer than its series"));
    }
    Ok(out)
}

/// Removes what a snapshot directory no longer needs: files of publications other than
/// `live` but the [`KEEP`] newest, and unfinished files over an hour old. A process
/// still mapping a removed file keeps its pages.
pub fn tidy(dir: &Path, live: u64) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(u64, PathBuf)> = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp-") {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600);
            if old {
                let _ = std::fs::remove_file(e.path());
            }
        } else if let Some(stem) = name.strip_suffix(SUFFIX)
            && let Some(g) = stem.split('-').next().and_then(|g| g.parse::<u64>().ok())
        {
            files.push((g, e.path()));
        }
    }
    files.sort();
    files.retain(|(g, _)| *g != live);
    let drop = files.len().saturating_sub(KEEP);
    for (_, path) in &files[..drop] {
        let _ = std::fs::remove_file(path);
    }
}

/// The values of one series in a snapshot: computed and owned, or a column of a mapped file.
pub(crate) enum Column {
    Owned(Vec<Slot>),
    Mapped {
        file: Arc<Mapped>,
        start: usize,
        len: usize,
    },
}

impl std::ops::Deref for Column {
    type Target = [Slot];

    #[inline]
    fn deref(&self) -> &[Slot] {
        match self {
            Column::Owned(v) => v,
            Column::Mapped { file, start, len } => &file.slots()[*start..*start + *len],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peil_core::MissingCode;

    /// A fresh directory under the system's temporary one (removed by the test).
    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("peil-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn key(ind: &str, period: &str, dims: &str) -> SeriesKey {
        SeriesKey {
            indicator: ind.into(),
            level: "wijk".into(),
            period: Period::parse(period).unwrap(),
            dims: DimKey::parse(dims).unwrap(),
        }
    }

    fn series() -> Vec<(SeriesKey, Vec<Slot>)> {
        vec![
            (
                key("bev", "2023", ""),
                vec![
                    Slot::num(1.5),
                    Slot::HIDDEN,
                    Slot::NONE,
                    Slot::num(-0.0),
                    Slot::missing(MissingCode::NotApplicable),
                ],
            ),
            (key("bev", "2024", ""), vec![]),
            (
                key("inkomen", "2024", "geslacht=m"),
                vec![Slot::num(1e300), Slot::UNKNOWN, Slot::num(3.0)],
            ),
        ]
    }

    /// The files in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn write(dir: &Path, generation: u64, print: u64) -> PathBuf {
        let mut w = Writer::create(dir).unwrap();
        for (k, v) in series() {
            w.series(&k, &v).unwrap();
        }
        w.finish(generation, print).unwrap()
    }

    #[test]
    fn a_file_gives_back_every_series_bit_for_bit_with_its_counts() {
        let dir = temp_dir("roundtrip");
        let path = write(&dir, 7, 42);
        assert_eq!(path, dir.join(file_name(7, 42)));
        // Only the site's user reads it (a restricted indicator's values are in it).
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (m, entries) = Mapped::open(&dir, 7, 42).unwrap().unwrap();
        let want = series();
        assert_eq!(entries.len(), want.len());
        for (e, (k, v)) in entries.iter().zip(&want) {
            assert_eq!(&e.key, k);
            let got = &m.slots()[e.start..e.start + e.len];
            assert_eq!(got.len(), v.len());
            assert!(got.iter().zip(v).all(|(a, b)| a.same(*b)), "{k:?}");
        }
        // Not empty: 1.5, x, -0, nvt, 1e300, ?, 3 — hidden: one.
        assert_eq!((m.values, m.hidden), (7, 1));
        // Nothing left behind but the file itself.
        assert_eq!(names(&dir), [file_name(7, 42)]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_file_is_none_and_a_foreign_or_damaged_one_is_refused() {
        let dir = temp_dir("damaged");
        assert!(Mapped::open(&dir, 1, 1).unwrap().is_none());
        let path = write(&dir, 3, 9);
        let good = std::fs::read(&path).unwrap();
        // Another publication's file under this one's name.
        std::fs::rename(&path, dir.join(file_name(3, 10))).unwrap();
        let e = Mapped::open(&dir, 3, 10).err().expect("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        // One bit changed anywhere: in a value, in the index, in the header's counts.
        let index_at = u64_at(&good, 40) as usize;
        for at in [
            HEADER + 3,
            HEADER + 8 * 5,
            index_at + 2,
            good.len() - 1,
            65,
            20,
        ] {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            std::fs::write(dir.join(file_name(3, 9)), &bad).unwrap();
            let e = Mapped::open(&dir, 3, 9)
                .err()
                .unwrap_or_else(|| panic!("byte {at} taken"));
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "byte {at}");
        }
        // Cut short, and longer than written.
        std::fs::write(dir.join(file_name(3, 9)), &good[..good.len() - 1]).unwrap();
        assert!(Mapped::open(&dir, 3, 9).is_err());
        let mut long = good.clone();
        long.push(0);
        std::fs::write(dir.join(file_name(3, 9)), &long).unwrap();
        assert!(Mapped::open(&dir, 3, 9).is_err());
        std::fs::write(dir.join(file_name(3, 9)), &good[..10]).unwrap();
        assert!(Mapped::open(&dir, 3, 9).is_err());
        std::fs::write(dir.join(file_name(3, 9)), &good).unwrap();
        assert!(Mapped::open(&dir, 3, 9).unwrap().is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unfinished_file_leaves_nothing_and_tidy_keeps_the_live_and_two_before() {
        let dir = temp_dir("tidy");
        {
            let mut w = Writer::create(&dir).unwrap();
            w.series(&key("bev", "2024", ""), &[Slot::num(1.0)])
                .unwrap();
        }
        assert!(names(&dir).is_empty());
        for g in 1..=5 {
            write(&dir, g, 1);
        }
        // Serving 3 while 4 and 5 exist (another process is ahead): 3, 4, 5 stay, 1 and 2 go.
        tidy(&dir, 3);
        assert_eq!(
            names(&dir),
            [file_name(3, 1), file_name(4, 1), file_name(5, 1)]
        );
        // Serving 1 again (a restored store): it is written again and kept, with the two newest.
        write(&dir, 1, 2);
        tidy(&dir, 1);
        assert_eq!(
            names(&dir),
            [file_name(1, 2), file_name(4, 1), file_name(5, 1)]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn series_are_ordered_by_their_codes_bytewise() {
        let mut keys = [
            key("b", "2024", ""),
            key("a", "2024", "x=2"),
            key("a", "2024", ""),
            key("a", "2023", ""),
        ];
        keys.sort_by(key_order);
        let texts: Vec<String> = keys
            .iter()
            .map(|k| format!("{}/{}/{}", k.indicator, k.period.code(), k.dims.to_text()))
            .collect();
        assert_eq!(texts, ["a/2023/", "a/2024/", "a/2024/x=2", "b/2024/"]);
    }
}
