//! Deterministic generation of realistic notes: Markdown bodies from a Zipf-distributed
//! vocabulary (common English words first, then a long tail of made-up words, as real note
//! collections have), with headings, paragraphs, lists, tasks, links and wiki links; sizes
//! log-uniform between 200 B and 20 KiB; some tags, notebooks and pins.

use coffer_core::NewNote;

/// Smallest and largest generated body, in bytes.
pub const MIN_BODY: usize = 200;
pub const MAX_BODY: usize = 20 * 1024;

/// SplitMix64: small, fast, seedable; good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    /// Uniform in lo..=hi.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The most common words of personal notes, most frequent first (ranks matter: the sampler
/// is Zipfian). Includes the words the search queries use.
#[rustfmt::skip]
const COMMON: &[&str] = &[
    "the", "to", "and", "a", "of", "in", "for", "is", "on", "that", "with", "it", "this", "be",
    "at", "as", "have", "from", "or", "by", "not", "are", "we", "you", "will", "can", "my", "but",
    "an", "all", "if", "about", "when", "need", "new", "next", "time", "one", "also", "more",
    "should", "check", "call", "meeting", "notes", "project", "work", "today", "week", "plan",
    "people", "use", "make", "email", "list", "team", "after", "before", "back", "some", "get",
    "two", "first", "last", "day", "good", "ask", "send", "update", "review", "doc", "idea",
    "please", "still", "home", "phone", "price", "pay", "paid", "payment", "password", "pass",
    "passport", "party", "past", "paste", "pasta", "path", "patient", "pattern", "page", "paper",
    "park", "part", "parent", "pack", "person", "personal", "place", "plant", "point", "policy",
    "power", "present", "print", "private", "problem", "process", "product", "profile", "program",
    "progress", "proposal", "public", "pull", "push", "put", "question", "quick", "read", "ready",
    "reason", "receipt", "recipe", "record", "remember", "renewal", "rent", "repair", "report",
    "request", "result", "return", "room", "run", "school", "schedule", "search", "second",
    "security", "server", "service", "set", "share", "ship", "shop", "short", "show", "sign",
    "simple", "site", "small", "software", "something", "soon", "start", "status", "step", "store",
    "story", "study", "summer", "support", "sure", "system", "table", "talk", "task", "tax", "tea",
    "test", "thing", "think", "ticket", "tickets", "train", "travel", "trip", "try", "turn",
    "under", "until", "user", "vacation", "version", "visit", "wait", "walk", "want", "water",
    "way", "website", "weekend", "while", "window", "winter", "word", "world", "write", "year",
    "account", "address", "agenda", "airport", "answer", "apartment", "appointment", "april",
    "area", "article", "bank", "bill", "birthday", "blood", "board", "book", "booking", "box",
    "budget", "bug", "build", "bus", "buy", "cake", "calendar", "car", "card", "care", "case",
    "cash", "change", "chicken", "child", "city", "class", "client", "close", "code", "coffee",
    "company", "computer", "contract", "cost", "course", "credit", "customer", "data", "date",
    "deadline", "design", "dinner", "doctor", "document", "draft", "dentist", "energy", "event",
    "example", "family", "feedback", "file", "flight", "food", "friend", "garden", "gift", "goal",
    "group", "health", "hotel", "house", "insurance", "interview", "invoice", "issue", "journal",
    "key", "kitchen", "lawyer", "letter", "library", "light", "loan", "lunch", "market", "medical",
    "message", "money", "month", "morning", "mortgage", "movie", "music", "name", "network",
    "number", "office", "order", "owner", "wifi", "renew", "expires", "form", "backup", "router",
    "salary", "savings", "license", "landlord", "pharmacy", "prescription", "allergy", "garlic",
    "onion", "butter", "flour", "sugar", "oven", "minutes", "bake", "salt", "pepper", "tomato",
];

#[rustfmt::skip]
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ta", "ren", "dor", "sel", "vin", "qua", "bro", "ste", "lin", "mar", "tho",
    "gre", "pel", "nor", "sha", "vel", "cor", "dan", "fi", "ho", "ju", "ny", "ro", "su", "wen",
    "zal", "bi", "cu", "de", "fo", "gu", "hy", "ki", "lu", "ma", "ne", "po", "ra", "si", "tu",
];

#[rustfmt::skip]
const TAGS: &[&str] = &[
    "todo", "work", "home", "finance", "health", "travel", "ideas", "reading", "recipes", "family",
    "urgent", "someday", "waiting", "reference", "journal", "meeting", "project-x", "taxes", "car",
    "garden", "books", "movies", "shopping", "school", "legal", "medical", "passwords", "2026",
    "q3", "q4",
];

#[rustfmt::skip]
const NOTEBOOKS: &[&str] = &[
    "Personal", "Work", "Journal", "Recipes", "Travel", "Finance", "Health", "Projects", "Reading",
    "Archive", "Home", "Legal",
];

/// `common`, then `tail` distinct made-up words of `lens.0` to `lens.1` pieces drawn from
/// `pieces` (syllables, or characters), in a fixed order for a given `rng`.
fn with_tail(
    common: &[&str],
    pieces: &[&str],
    lens: (usize, usize),
    tail: usize,
    rng: &mut Rng,
) -> Vec<String> {
    let mut words: Vec<String> = common.iter().map(|w| w.to_string()).collect();
    let mut seen: std::collections::HashSet<String> = words.iter().cloned().collect();
    while words.len() < common.len() + tail {
        let n = rng.between(lens.0, lens.1);
        let w: String = (0..n).map(|_| *rng.pick(pieces)).collect();
        if seen.insert(w.clone()) {
            words.push(w);
        }
    }
    words
}

/// Words to draw from, with a Zipf sampler over their ranks.
pub struct Vocabulary {
    words: Vec<String>,
    /// Cumulative weights, ending at 1.0.
    cdf: Vec<f64>,
}

impl Vocabulary {
    /// The common words, then `tail` made-up words; Zipf exponent `s`.
    pub fn new(tail: usize, s: f64) -> Vocabulary {
        let mut rng = Rng::new(0x00C0_FFEE);
        Vocabulary::of(with_tail(COMMON, SYLLABLES, (2, 4), tail, &mut rng), s)
    }

    /// `words`, most frequent first, with a Zipf sampler of exponent `s`.
    pub fn of(words: Vec<String>, s: f64) -> Vocabulary {
        let mut cdf = Vec::with_capacity(words.len());
        let mut total = 0.0;
        for rank in 0..words.len() {
            total += 1.0 / ((rank + 1) as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Vocabulary { words, cdf }
    }

    pub fn word(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        let i = self
            .cdf
            .partition_point(|c| *c < u)
            .min(self.words.len() - 1);
        &self.words[i]
    }

    fn words_into(&self, rng: &mut Rng, n: usize, out: &mut String) {
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.word(rng));
        }
    }

    fn sentence(&self, rng: &mut Rng, out: &mut String) {
        let start = out.len();
        let n = rng.between(5, 18);
        self.words_into(rng, n, out);
        // Capitalize the first letter (all words are ASCII).
        if let Some(c) = out[start..].chars().next() {
            let up = c.to_ascii_uppercase().to_string();
            out.replace_range(start..start + 1, &up);
        }
        out.push(if rng.chance(0.1) { '?' } else { '.' });
    }
}

/// Common Chinese words of personal notes (simplified), most frequent first; the search
/// queries use some.
#[rustfmt::skip]
const ZH_COMMON: &[&str] = &[
    "我们", "今天", "明天", "会议", "项目", "时间", "工作", "需要", "问题", "讨论", "计划", "预算",
    "客户", "报告", "下午", "上午", "公司", "团队", "安排", "检查", "电话", "邮件", "医生", "预约",
    "护照", "续签", "密码", "旅行", "机票", "保险", "到期", "食谱", "鸡肉", "大蒜", "税务", "账单",
    "学校", "孩子", "周末", "购物", "清单", "电影", "花园", "房子", "租金", "银行", "付款", "提醒",
    "重要", "完成", "开始", "准备", "确认", "修改", "发送", "会议室", "经理", "朋友", "家人", "生日",
];

/// Characters the made-up Chinese words of the long tail are drawn from.
const ZH_CHARS: &str = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空";

/// Common Japanese words of personal notes (kanji and kana), and the particles and endings
/// sentences are joined with.
#[rustfmt::skip]
const JA_COMMON: &[&str] = &[
    "今日", "明日", "東京", "会議", "予定", "プロジェクト", "打ち合わせ", "資料", "確認", "来週",
    "予算", "担当", "連絡", "メール", "電話", "病院", "予約", "パスポート", "更新", "旅行", "飛行機",
    "保険", "期限", "レシピ", "鶏肉", "にんにく", "税金", "請求書", "学校", "子供", "週末", "買い物",
    "リスト", "映画", "庭", "家賃", "銀行", "支払い", "大切", "完了", "準備", "変更", "送信", "友達",
    "家族", "誕生日", "大阪", "京都", "新しい", "仕事",
];
const JA_PARTICLES: &[&str] = &[
    "は", "が", "を", "に", "で", "の", "と", "も", "から", "まで",
];
const JA_ENDINGS: &[&str] = &[
    "です",
    "ます",
    "しました",
    "してください",
    "があります",
    "する",
];

/// Chinese and Japanese vocabularies, each Zipfian, for notes written in those languages.
pub struct CjkVocabulary {
    zh: Vocabulary,
    ja: Vocabulary,
}

impl CjkVocabulary {
    pub fn new() -> CjkVocabulary {
        let mut rng = Rng::new(0x00C0_FFE1);
        let chars = |text: &'static str| -> Vec<&'static str> {
            text.char_indices()
                .map(|(i, c)| &text[i..i + c.len_utf8()])
                .collect()
        };
        let zh = with_tail(ZH_COMMON, &chars(ZH_CHARS), (2, 3), 20_000, &mut rng);
        // Japanese: the common words, then made-up katakana words (names, loanwords).
        let kana = chars(
            "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン",
        );
        let ja = with_tail(JA_COMMON, &kana, (3, 5), 10_000, &mut rng);
        CjkVocabulary {
            zh: Vocabulary::of(zh, 1.05),
            ja: Vocabulary::of(ja, 1.05),
        }
    }

    /// A sentence of 4 to 14 words with no spaces between them, ending in 。(or ？).
    fn sentence(&self, japanese: bool, rng: &mut Rng, out: &mut String) {
        let n = rng.between(4, 14);
        for i in 0..n {
            if japanese {
                out.push_str(self.ja.word(rng));
                if i + 1 < n {
                    out.push_str(JA_PARTICLES[rng.below(JA_PARTICLES.len())]);
                } else {
                    out.push_str(JA_ENDINGS[rng.below(JA_ENDINGS.len())]);
                }
            } else {
                out.push_str(self.zh.word(rng));
            }
        }
        out.push_str(if rng.chance(0.1) { "？" } else { "。" });
    }

    fn title(&self, japanese: bool, rng: &mut Rng) -> String {
        let v = if japanese { &self.ja } else { &self.zh };
        (0..rng.between(1, 3)).map(|_| v.word(rng)).collect()
    }

    /// A Markdown body of about `size` bytes: paragraphs, some headings and lists.
    fn body(&self, japanese: bool, size: usize, rng: &mut Rng) -> String {
        let mut out = String::with_capacity(size + 256);
        while out.len() < size {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            let kind = rng.unit();
            if kind < 0.15 {
                out.push_str("## ");
                out.push_str(&self.title(japanese, rng));
            } else if kind < 0.3 {
                for i in 0..rng.between(2, 6) {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str("- ");
                    self.sentence(japanese, rng, &mut out);
                }
            } else {
                for _ in 0..rng.between(2, 5) {
                    self.sentence(japanese, rng, &mut out);
                }
            }
        }
        if out.len() > size {
            let mut cut = size;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
        }
        out
    }
}

impl Default for CjkVocabulary {
    fn default() -> Self {
        CjkVocabulary::new()
    }
}

/// Generates notes one by one; titles of earlier notes become `[[wiki link]]` targets.
pub struct NoteGen {
    rng: Rng,
    vocab: Vocabulary,
    titles: Vec<String>,
    /// The share of notes written in Chinese or Japanese (half each), and their words.
    cjk: Option<(f64, CjkVocabulary)>,
}

impl NoteGen {
    pub fn new(seed: u64) -> NoteGen {
        NoteGen {
            rng: Rng::new(seed),
            vocab: Vocabulary::new(30_000, 1.05),
            titles: Vec::new(),
            cjk: None,
        }
    }

    /// Notes of which `share` (0 to 1) are written in Chinese or Japanese, half each.
    pub fn with_cjk(seed: u64, share: f64) -> NoteGen {
        let mut g = NoteGen::new(seed);
        if share > 0.0 {
            g.cjk = Some((share.min(1.0), CjkVocabulary::new()));
        }
        g
    }

    /// A body size drawn log-uniformly from [MIN_BODY, MAX_BODY].
    pub fn body_size(&mut self) -> usize {
        let (lo, hi) = ((MIN_BODY as f64).ln(), (MAX_BODY as f64).ln());
        ((lo + self.rng.unit() * (hi - lo)).exp() as usize).clamp(MIN_BODY, MAX_BODY)
    }

    pub fn title(&mut self) -> String {
        let mut t = String::new();
        let n = self.rng.between(2, 6);
        self.vocab.words_into(&mut self.rng, n, &mut t);
        let mut c = t.chars();
        match c.next() {
            Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
            None => t,
        }
    }

    /// A Markdown body of about `size` bytes (cut at a word boundary at or below it).
    pub fn body(&mut self, size: usize) -> String {
        let mut out = String::with_capacity(size + 256);
        let rng = &mut self.rng;
        let v = &self.vocab;
        while out.len() < size {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            let kind = rng.unit();
            if kind < 0.15 {
                out.push_str(if rng.chance(0.3) { "# " } else { "## " });
                let n = rng.between(2, 5);
                v.words_into(rng, n, &mut out);
            } else if kind < 0.35 {
                let items = rng.between(2, 7);
                let style = rng.below(3);
                for i in 0..items {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(match style {
                        0 => "- ",
                        1 => "1. ",
                        _ if rng.chance(0.5) => "- [x] ",
                        _ => "- [ ] ",
                    });
                    let n = rng.between(2, 10);
                    v.words_into(rng, n, &mut out);
                }
            } else if kind < 0.38 {
                out.push_str("```\n");
                let n = rng.between(3, 12);
                v.words_into(rng, n, &mut out);
                out.push_str("\n```");
            } else {
                let sentences = rng.between(2, 6);
                for i in 0..sentences {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.sentence(rng, &mut out);
                }
                if rng.chance(0.12) && !self.titles.is_empty() {
                    let t = &self.titles[rng.below(self.titles.len())];
                    out.push_str(" See [[");
                    out.push_str(t);
                    out.push_str("]].");
                }
                if rng.chance(0.08) {
                    out.push_str(" More at [");
                    out.push_str(v.word(rng));
                    out.push_str("](https://example.org/");
                    out.push_str(v.word(rng));
                    out.push_str(").");
                }
                if rng.chance(0.05) {
                    out.push_str(" **");
                    out.push_str(v.word(rng));
                    out.push_str("**");
                }
            }
        }
        if out.len() > size {
            // (A link may name a Chinese or Japanese title: cut on a character boundary.)
            let mut end = size;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            let cut = out[..end].rfind(' ').unwrap_or(end);
            out.truncate(cut);
        }
        out
    }

    pub fn note(&mut self) -> NewNote {
        let cjk = match &self.cjk {
            Some((share, _)) => self.rng.chance(*share).then(|| self.rng.chance(0.5)),
            None => None,
        };
        let (title, body) = match (cjk, self.cjk.is_some().then_some(())) {
            (Some(japanese), Some(_)) => {
                let size = self.body_size();
                let (rng, v) = (&mut self.rng, &self.cjk.as_ref().expect("matched").1);
                (v.title(japanese, rng), v.body(japanese, size, rng))
            }
            _ => {
                let title = self.title();
                let size = self.body_size();
                (title, self.body(size))
            }
        };
        let ntags = match self.rng.unit() {
            u if u < 0.4 => 0,
            u if u < 0.75 => 1,
            u if u < 0.93 => 2,
            _ => 3,
        };
        let tags = (0..ntags)
            .map(|_| self.rng.pick(TAGS).to_string())
            .collect();
        let notebook = self
            .rng
            .chance(0.7)
            .then(|| self.rng.pick(NOTEBOOKS).to_string());
        let pinned = self.rng.chance(0.01);
        // Keep a bounded pool of link targets.
        if self.titles.len() < 2000 {
            self.titles.push(title.clone());
        } else {
            let i = self.rng.below(self.titles.len());
            self.titles[i] = title.clone();
        }
        NewNote {
            title,
            body,
            tags,
            notebook,
            pinned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_requested_sizes_and_markdown() {
        let mut g = NoteGen::new(7);
        let mut total = 0usize;
        let n = 400;
        let mut saw_heading = false;
        let mut saw_list = false;
        for _ in 0..n {
            let size = g.body_size();
            assert!((MIN_BODY..=MAX_BODY).contains(&size));
            let b = g.body(size);
            assert!(b.len() <= size, "{} > {size}", b.len());
            assert!(b.len() + 40 >= size, "{} much below {size}", b.len());
            saw_heading |= b.contains("\n## ") || b.starts_with("## ");
            saw_list |= b.contains("\n- ");
            total += size;
        }
        assert!(saw_heading && saw_list);
        // Log-uniform on [200, 20480]: mean (20480-200)/ln(102.4) ≈ 4381 bytes.
        let mean = total / n;
        assert!((3000..6000).contains(&mean), "mean {mean}");
    }

    #[test]
    fn generation_is_deterministic() {
        let a = NoteGen::new(1).note();
        let b = NoteGen::new(1).note();
        assert_eq!((a.title, a.body, a.tags), (b.title, b.body, b.tags));
    }

    #[test]
    fn a_third_of_the_notes_in_chinese_or_japanese() {
        let mut g = NoteGen::with_cjk(5, 0.33);
        let notes: Vec<NewNote> = (0..600).map(|_| g.note()).collect();
        // (English notes may link to a Chinese or Japanese title: look at the start.)
        let cjk = |n: &NewNote| {
            n.body
                .chars()
                .take(8)
                .any(|c| ('\u{3040}'..='\u{9fff}').contains(&c))
        };
        let share = notes.iter().filter(|n| cjk(n)).count() as f64 / 600.0;
        assert!((0.25..0.42).contains(&share), "{share}");
        assert!(
            notes
                .iter()
                .any(|n| n.body.contains("会议") || n.body.contains("项目"))
        );
        assert!(
            notes
                .iter()
                .any(|n| n.body.contains("東京") || n.body.contains("です"))
        );
        for n in notes.iter().filter(|n| cjk(n)) {
            assert!(n.body.len() <= MAX_BODY);
        }
    }

    #[test]
    fn vocabulary_is_zipfian() {
        let v = Vocabulary::new(1000, 1.05);
        let mut rng = Rng::new(3);
        let the = (0..10_000).filter(|_| v.word(&mut rng) == "the").count();
        // The top word takes roughly 1/H(n) of draws: far more than a uniform share.
        assert!(the > 500, "{the}");
    }
}
