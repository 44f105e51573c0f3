use super::*;

const GENERATION: [u8; 16] = [7; 16];

/// A journal file with these records, each at a block boundary, and a reserve of zeros.
fn file(records: &[Vec<u8>]) -> Vec<u8> {
    let mut f = header(&GENERATION).to_vec();
    for r in records {
        f.resize(align(f.len()), 0);
        f.extend_from_slice(r);
    }
    f.resize(align(f.len()) + 4096, 0);
    f
}

/// Where record `i` starts in [`file`].
fn start_of(records: &[Vec<u8>], i: usize) -> usize {
    BLOCK + records[..i].iter().map(|r| align(r.len())).sum::<usize>()
}

fn rec_of(generation: &[u8; 16], seq: u64, n: usize) -> Vec<u8> {
    let objects: Vec<(Id, Vec<u8>)> = (0..n)
        .map(|i| {
            (
                Id::random(),
                (0..700).map(|j| (i * 7 + j % 251 + 1) as u8).collect(),
            )
        })
        .collect();
    let refs: Vec<(Id, &[u8])> = objects.iter().map(|(i, b)| (*i, b.as_slice())).collect();
    encode(generation, seq, &[9; 300], &refs)
}

fn rec(seq: u64, n: usize) -> Vec<u8> {
    rec_of(&GENERATION, seq, n)
}

/// Where the last record ends in [`file`].
fn end_of(records: &[Vec<u8>]) -> usize {
    start_of(records, records.len() - 1) + records[records.len() - 1].len()
}

#[test]
fn records_round_trip_up_to_the_reserve() {
    let rs_in = [rec(1, 1), rec(2, 3), rec(3, 0)];
    let f = file(&rs_in);
    let (rs, tail) = records(&f, FILE_HEADER_LEN);
    assert_eq!(tail, Tail::End);
    assert_eq!(rs.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(rs[1].objects.len(), 3);
    assert_eq!(rs[1].objects[2].1.len(), 700);
    assert_eq!(rs[0].entry, &[9u8; 300][..]);
    assert_eq!(rs[2].end, end_of(&rs_in));
    // Without a reserve (a journal that grew past it) the file's end ends them.
    let (rs, tail) = records(&f[..end_of(&rs_in)], FILE_HEADER_LEN);
    assert_eq!((rs.len(), tail), (3, Tail::End));
}

#[test]
fn records_of_an_earlier_generation_do_not_frame() {
    let old = [7u8; 16];
    let rs_in = [rec_of(&old, 1, 1), rec_of(&old, 2, 1)];
    let mut f = file(&rs_in);
    // The next generation, written over the header in place, and one new record over
    // part of the first old one.
    f[..FILE_HEADER_LEN].copy_from_slice(&header(&[8; 16]));
    let new = rec_of(&[8; 16], 3, 0);
    f[BLOCK..BLOCK + new.len()].copy_from_slice(&new);
    let (rs, tail) = records(&f, FILE_HEADER_LEN);
    assert_eq!(rs.iter().map(|r| r.seq).collect::<Vec<_>>(), [3]);
    assert_eq!(tail, Tail::End, "the old records after it are not damage");
}

#[test]
fn a_cut_off_or_unwritten_last_record_ends_the_records() {
    let rs_in = [rec(1, 1), rec(2, 2)];
    let f = file(&rs_in);
    let end = end_of(&rs_in);
    for cut in [1, 10, 30, 200, 900] {
        let (rs, tail) = records(&f[..end - cut], FILE_HEADER_LEN);
        assert_eq!((rs.len(), tail), (1, Tail::End), "cut {cut}");
    }
    let start = start_of(&rs_in, 1);
    for (from, to) in [
        (start, f.len()),
        (start + 600, start + 700),
        (start + 10, start + 60),
    ] {
        let mut g = f.clone();
        g[from..to].fill(0);
        let (rs, tail) = records(&g, FILE_HEADER_LEN);
        if rs.len() == 2 {
            // It frames but will not open: where it starts is where the records end.
            assert_eq!(classify(&g, rs[1].start), Tail::End);
        }
        assert_eq!(tail, Tail::End, "zeros at {from}..{to}");
    }
}

#[test]
fn damage_before_other_records_is_damage() {
    let rs_in = [rec(1, 1), rec(2, 1), rec(3, 1)];
    let f = file(&rs_in);
    let second = start_of(&rs_in, 1);
    for at in [second, second + 6, second + 25] {
        let mut g = f.clone();
        g[at] ^= 0x40;
        let (rs, tail) = records(&g, FILE_HEADER_LEN);
        assert_eq!((rs.len(), tail), (1, Tail::Damaged(second)), "byte {at}");
    }
    // A record that frames but will not open, with a valid one after it.
    let (rs, _) = records(&f, FILE_HEADER_LEN);
    assert_eq!(classify(&f, rs[1].start), Tail::Damaged(rs[1].start));
    // A file that is not a journal at all.
    assert_eq!(records(b"not a journal", 0).1, Tail::Damaged(0));
    assert_eq!(records(b"", 0).1, Tail::End);
}

#[test]
fn hostile_lengths_do_not_overflow() {
    let mut r = RECORD_MAGIC.to_vec();
    r.extend_from_slice(&1u64.to_le_bytes());
    r.extend_from_slice(&u32::MAX.to_le_bytes());
    r.extend_from_slice(&1u32.to_le_bytes());
    r.extend_from_slice(&[1; 16]);
    r.extend_from_slice(&u32::MAX.to_le_bytes());
    let check = header_check(&GENERATION, &r);
    r.extend_from_slice(&check);
    r.extend_from_slice(&[5; 64]);
    let f = file(&[r]);
    let (rs, tail) = records(&f, FILE_HEADER_LEN);
    assert_eq!((rs.len(), tail), (0, Tail::End));
}
