//! Whatever bytes a trainer's files hold, the compiler reports problems and never
//! panics.

mod common;

use common::BASE;
use leerpad_compiler::compile_tree;
use proptest::prelude::*;

/// Characters that mean something to YAML or Markdown, to steer mutations into the
/// parsers' interesting corners.
const SPICE: &[&str] = &[
    ":",
    "- ",
    "\n",
    "  ",
    "\t",
    "---\n",
    "[",
    "]",
    "{",
    "}",
    "`",
    "```",
    "```reflection\n",
    "```video\n",
    "#",
    "*",
    "!",
    "&a ",
    "*a",
    "|",
    ">",
    "\"",
    "'",
    "\\",
    "<script>",
    "](",
    "![",
    "[^1]",
    "> [!NOTE]\n",
    "%",
    "@",
    "é",
    "\u{0}",
];

fn mutation() -> impl Strategy<Value = (usize, usize, usize, String)> {
    (
        0..BASE.len(),
        any::<usize>(),
        0usize..12,
        prop::collection::vec(prop::sample::select(SPICE), 0..6),
    )
        .prop_map(|(file, at, cut, spice)| (file, at, cut, spice.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_in_any_file_never_panic(file in 0..BASE.len(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut tree = common::tree(&[]);
        tree.add_text(BASE[file].0, bytes);
        let (course, diags) = compile_tree(&tree);
        prop_assert_eq!(course.is_none(), diags.has_errors());
    }

    #[test]
    fn mutated_sources_never_panic(mutations in prop::collection::vec(mutation(), 1..4)) {
        let mut tree = common::tree(&[]);
        for (file, at, cut, spice) in mutations {
            let (path, _) = BASE[file];
            let text = String::from_utf8_lossy(tree.text(path).unwrap_or(BASE[file].1.as_bytes())).into_owned();
            let mut chars: Vec<char> = text.chars().collect();
            let at = at % (chars.len() + 1);
            let end = (at + cut).min(chars.len());
            chars.splice(at..end, spice.chars());
            tree.add_text(path, chars.into_iter().collect::<String>());
        }
        let (course, diags) = compile_tree(&tree);
        prop_assert_eq!(course.is_none(), diags.has_errors());
    }
}
