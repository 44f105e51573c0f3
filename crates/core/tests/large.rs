//! A 1 GiB attachment goes in and out streamed: the process never holds the file in memory.
//! Its own test binary, so the peak memory it reads (VmHWM) is this test's alone.
#![allow(clippy::unwrap_used)]

use coffer_core::secrecy::SecretString;
use coffer_core::{InitOptions, NewNote, Vault};
use std::io::{Read, Seek, SeekFrom, Write};

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn one_gib_attachment_is_streamed() {
    const SIZE: u64 = 1 << 30;
    let dir = tempfile::tempdir().unwrap();
    let pass = SecretString::from("pw".to_string());
    let mut v = Vault::init(
        &dir.path().join("v"),
        &pass,
        &InitOptions { work_factor: 10 },
    )
    .unwrap();
    let id = v
        .create(NewNote {
            title: "Big".into(),
            ..Default::default()
        })
        .unwrap();
    // A sparse 1 GiB file with recognisable bytes at the start, middle and end.
    let src = dir.path().join("big.bin");
    let mut f = std::fs::File::create(&src).unwrap();
    f.set_len(SIZE).unwrap();
    for at in [0, SIZE / 2, SIZE - 16] {
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(b"coffer-big-file!").unwrap();
    }
    drop(f);
    let before = peak_rss_kib();
    let a = v.attach(&id, &src, None).unwrap();
    assert_eq!(a.size, SIZE);
    std::fs::remove_file(&src).unwrap();
    let out = dir.path().join("out.bin");
    v.extract(&id, "big.bin", &out).unwrap();
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(
        grown < 64 * 1024,
        "peak memory grew by {grown} KiB for a 1 GiB file"
    );
    let mut g = std::fs::File::open(&out).unwrap();
    assert_eq!(g.metadata().unwrap().len(), SIZE);
    let mut buf = [0u8; 16];
    for at in [0, SIZE / 2, SIZE - 16] {
        g.seek(SeekFrom::Start(at)).unwrap();
        g.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"coffer-big-file!");
    }
}
