//! Tauri's build step, with the list of Coffer's own commands (src/command_list.rs): each gets
//! an `allow-<name>` permission, and capabilities/main.json grants them one by one (nothing is
//! allowed by default).
//!
//! It embeds `ui/dist`, which must exist: if the UI has not been built (a plain
//! `cargo clippy --workspace`), a placeholder page saying so is written there, so the crate still
//! compiles; `scripts/build-app` builds the real UI first.

include!("src/command_list.rs");

/// The last part of each command's path.
macro_rules! names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

/// Each command as (module, name).
macro_rules! paths {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$((stringify!($module), stringify!($command))),*]
    };
}

const COMMANDS: &[&str] = with_commands!(names);
const PATHS: &[(&str, &str)] = with_commands!(paths);

mod client {
    //! The TypeScript client of the commands, made from their signatures: for each module of
    //! commands, `OUT_DIR/client_<module>.rs` holds a function that writes one TypeScript
    //! entry per command, naming each argument's and the result's type through `ts_rs::TS`,
    //! in that module's scope (so the types are those the signature names). The module
    //! includes it; `typescript::client` puts the entries in the list's order.

    use quote::ToTokens;
    use std::collections::BTreeMap;
    use std::fmt::Write;

    /// Arguments Tauri fills in itself (the app, state, the window): not sent by the web view.
    const INJECTED: &[&str] = &[
        "AppHandle",
        "S",
        "State",
        "PickedState",
        "WebviewWindow",
        "Window",
    ];

    /// Words a TypeScript parameter may not be named.
    const RESERVED: &[&str] = &[
        "new", "default", "delete", "function", "class", "in", "for", "var",
    ];

    pub fn generate(paths: &[(&str, &str)]) {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
        let mut by_module: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (module, command) in paths {
            by_module.entry(module).or_default().push(command);
        }
        for (module, commands) in by_module {
            let path = src.join(format!("{module}.rs"));
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).expect("reading a module of commands");
            let file = syn::parse_file(&text).expect("parsing a module of commands");
            let mut code = String::from(
                "/// This module's entries of the TypeScript client (made by build.rs from the\n\
                 /// signatures of its commands). `format!` for every entry, also those with nothing\n\
                 /// to fill in: one shape of code for all.\n\
                 #[allow(clippy::useless_format)]\n\
                 pub(crate) fn client_entries(cfg: &ts_rs::Config) -> Vec<(&'static str, String)> {\n\
                 vec![\n",
            );
            for command in commands {
                let f = file
                    .items
                    .iter()
                    .find_map(|i| match i {
                        syn::Item::Fn(f) if f.sig.ident == command => Some(f),
                        _ => None,
                    })
                    .unwrap_or_else(|| panic!("{module}.rs has no command {command}"));
                code.push_str(&entry(command, f));
            }
            code.push_str("]\n}\n");
            std::fs::write(out.join(format!("client_{module}.rs")), code)
                .expect("writing the client");
        }
    }

    /// One command's `(name, "name: (args) => call<Result>(...)")`, as Rust code.
    fn entry(command: &str, f: &syn::ItemFn) -> String {
        let mut params = Vec::new(); // (TypeScript name, key sent, Rust type)
        for input in &f.sig.inputs {
            let syn::FnArg::Typed(arg) = input else {
                continue;
            };
            let syn::Pat::Ident(name) = &*arg.pat else {
                panic!("{command}: an argument without a plain name");
            };
            if last_segment(&arg.ty).is_some_and(|s| INJECTED.contains(&s.as_str())) {
                continue;
            }
            let key = camel(&name.ident.to_string());
            let ts = if RESERVED.contains(&key.as_str()) {
                format!("{key}Value")
            } else {
                key.clone()
            };
            params.push((ts, key, arg.ty.to_token_stream().to_string()));
        }
        let result = match &f.sig.output {
            syn::ReturnType::Type(_, ty) => result_type(ty),
            syn::ReturnType::Default => None,
        };
        let mut fmt = String::new();
        let mut values = Vec::new();
        for line in docs(f) {
            let _ = writeln!(fmt, "  /** {line} */");
        }
        let sig: Vec<String> = params
            .iter()
            .map(|(ts, _, _)| format!("{ts}: {{}}"))
            .collect();
        for (_, _, ty) in &params {
            values.push(format!("<{ty} as ts_rs::TS>::name(cfg)"));
        }
        let _ = write!(fmt, "  {}: ({}) => call<", camel(command), sig.join(", "));
        match &result {
            Some(ty) => {
                fmt.push_str("{}");
                values.push(format!("<{ty} as ts_rs::TS>::name(cfg)"));
            }
            None => fmt.push_str("void"),
        }
        let _ = write!(fmt, ">(\"{command}\"");
        if !params.is_empty() {
            let args: Vec<String> = params
                .iter()
                .map(|(ts, key, _)| {
                    if ts == key {
                        ts.clone()
                    } else {
                        format!("{key}: {ts}")
                    }
                })
                .collect();
            let _ = write!(fmt, ", {{{{ {} }}}}", args.join(", "));
        }
        fmt.push_str("),");
        let fmt = fmt
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        format!(
            "(\"{command}\", format!(\"{fmt}\", {})),\n",
            values.join(", ")
        )
    }

    /// The first paragraph of a function's doc comment, line by line.
    fn docs(f: &syn::ItemFn) -> Vec<String> {
        let mut lines = Vec::new();
        for attr in &f.attrs {
            if let syn::Meta::NameValue(nv) = &attr.meta
                && nv.path.is_ident("doc")
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
            {
                let line = s.value().trim().to_string();
                if line.is_empty() {
                    break;
                }
                // Braces doubled: the line goes into a format string.
                lines.push(
                    line.replace("*/", "* /")
                        .replace('{', "{{")
                        .replace('}', "}}"),
                );
            }
        }
        if lines.is_empty() {
            return lines;
        }
        vec![lines.join(" ")]
    }

    /// `T` of `ApiResult<T>` or `Result<T, _>`; `None` for `()`.
    fn result_type(ty: &syn::Type) -> Option<String> {
        let syn::Type::Path(p) = ty else {
            panic!("a command returns {}", ty.to_token_stream());
        };
        let last = p.path.segments.last().expect("a type has a name");
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            panic!("a command returns {} (not a Result)", ty.to_token_stream());
        };
        let Some(syn::GenericArgument::Type(t)) = args.args.first() else {
            panic!("a command returns {}", ty.to_token_stream());
        };
        match t {
            syn::Type::Tuple(t) if t.elems.is_empty() => None,
            t => Some(t.to_token_stream().to_string()),
        }
    }

    fn last_segment(ty: &syn::Type) -> Option<String> {
        match ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            syn::Type::Reference(r) => last_segment(&r.elem),
            _ => None,
        }
    }

    /// `snake_case` as Tauri names it to the web view: `camelCase`.
    fn camel(name: &str) -> String {
        let mut out = String::new();
        let mut up = false;
        for c in name.chars() {
            if c == '_' {
                up = true;
            } else if up {
                out.extend(c.to_uppercase());
                up = false;
            } else {
                out.push(c);
            }
        }
        out
    }
}

fn main() {
    client::generate(PATHS);
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(&dist).expect("creating ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Coffer</title>\
             <p>The UI was not built: run <code>scripts/build-app</code>.</p>\n",
        )
        .expect("writing ui/dist/index.html");
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
