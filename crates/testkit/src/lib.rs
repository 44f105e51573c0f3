//! Files that Coffer's tests and benchmarks write by hand, so that they depend on no file
//! from elsewhere: a PDF, written object by object with its cross-reference table.
#![forbid(unsafe_code)]

/// A one-page PDF whose content stream is `content`, its dictionary given `filters`
/// (`/Filter /FlateDecode`, say, or "" for none). The page's font `/F1` is Helvetica in
/// WinAnsi encoding.
pub fn pdf(content: &[u8], filters: &str) -> Vec<u8> {
    let mut stream = format!("<< /Length {} {filters} >>\nstream\n", content.len()).into_bytes();
    stream.extend(content);
    stream.extend(b"\nendstream");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        stream,
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).into_bytes());
        out.extend(o);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").into_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    out
}

/// A one-page PDF showing `lines`, one under the other. Each character must be Latin-1
/// ("é" is, "€" is not): the font's encoding has no others.
///
/// # Panics
/// On a character beyond Latin-1.
pub fn pdf_showing(lines: &[&str]) -> Vec<u8> {
    let mut content = b"BT /F1 14 Tf 72 720 Td 18 TL".to_vec();
    for l in lines {
        content.extend(b" (");
        for c in l.chars() {
            let byte = u8::try_from(u32::from(c)).expect("a Latin-1 character");
            // Parentheses and backslashes are escaped inside a PDF string.
            if matches!(byte, b'(' | b')' | b'\\') {
                content.push(b'\\');
            }
            content.push(byte);
        }
        content.extend(b") Tj T*");
    }
    content.extend(b" ET");
    pdf(&content, "")
}
