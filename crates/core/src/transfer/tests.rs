use super::*;

#[test]
fn times_in_the_formats_notes_use() {
    let t = |s: &str| parse_time(s).map(millis_to_rfc3339);
    assert_eq!(
        t("2023-01-02T03:04:05Z").as_deref(),
        Some("2023-01-02T03:04:05Z")
    );
    assert_eq!(
        t("2023-01-02 03:04Z").as_deref(),
        Some("2023-01-02T03:04:00Z")
    );
    assert_eq!(
        t("2023-01-02 03:04:05").as_deref(),
        Some("2023-01-02T03:04:05Z")
    );
    assert_eq!(t("2023-01-02").as_deref(), Some("2023-01-02T00:00:00Z"));
    assert_eq!(
        t("2023-01-02 03:04:05.25+02:00").as_deref(),
        Some("2023-01-02T01:04:05.25Z")
    );
    assert_eq!(
        t("2023-01-02T03:04 -0130").as_deref(),
        Some("2023-01-02T04:34:00Z")
    );
    for bad in [
        "",
        "yesterday",
        "2023-13-01",
        "2023-01-02 25:00",
        "2023-01-02 03:04 junk",
    ] {
        assert_eq!(t(bad), None, "{bad}");
    }
}

#[test]
fn front_matter_is_split_only_when_closed() {
    assert_eq!(
        split_front_matter("---\ntitle: x\n---\n\nbody\n"),
        Some(("title: x\n", "body\n"))
    );
    assert_eq!(
        split_front_matter("---\r\ntitle: x\r\n...\r\nbody"),
        Some(("title: x\r\n", "body"))
    );
    assert_eq!(split_front_matter("---\ntitle: x\nno end\n"), None);
    assert_eq!(split_front_matter("--- \n---"), Some(("", "")));
    assert_eq!(split_front_matter("# Title\n---\n"), None);
}

#[test]
fn links_are_found_outside_code() {
    let body = "![a](../_resources/a%20b.png) [doc](file.pdf \"t\") ![[c.png|200]] [[Note]]\n\
                [web](https://x.org/y.png) [anchor](#x) <img src=\"d.jpg\" width=10>\n\
                ```\n![[e.png]]\n```\n";
    assert_eq!(
        link_targets(body),
        vec![
            "../_resources/a b.png",
            "file.pdf",
            "c.png",
            "Note",
            "d.jpg"
        ]
    );
}

#[test]
fn relative_paths_stay_inside_the_root() {
    assert_eq!(join_rel("a/b", "../c.png").as_deref(), Some("a/c.png"));
    assert_eq!(join_rel("a", "./x/../y").as_deref(), Some("a/y"));
    assert_eq!(join_rel("a", "../../etc/passwd"), None);
}

#[test]
fn safe_names() {
    assert_eq!(
        safe_file_name("a/b\\c:d*e?f\"g<h>i|j"),
        "a_b_c_d_e_f_g_h_i_j"
    );
    assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
    assert_eq!(safe_file_name("...hidden. "), "hidden");
    assert_eq!(safe_file_name("\u{0}\n\t"), "___");
    assert_eq!(safe_file_name(""), "Untitled");
    assert_eq!(safe_file_name("con.txt"), "_con.txt");
    let long = safe_file_name(&"é".repeat(200));
    assert!(long.len() <= MAX_NAME_BYTES && long.chars().all(|c| c == 'é'));
}
