//! Reading a course folder into memory.
//!
//! The compiler works on a [`SourceTree`] rather than on the file system, so it is
//! pure and can be tested (and fuzzed) on sources built in memory. Asset files are
//! not kept in memory: only their size and hash are.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use leerpad_core::ContentHash;

/// The folder of a course's assets, relative to the course folder.
pub const ASSETS_DIR: &str = "assets";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceFile {
    Text(Vec<u8>),
    Asset { size: u64, hash: ContentHash },
}

/// The files of one course folder, keyed by their path relative to it with `/`
/// separators, in sorted order.
#[derive(Debug, Clone, Default)]
pub struct SourceTree {
    /// The course folder as the trainer named it; diagnostics show paths under it.
    pub root: PathBuf,
    pub files: BTreeMap<String, SourceFile>,
    /// Folders, relative like `files`, including empty ones.
    pub dirs: Vec<String>,
    /// Entries that could not be read, with the reason.
    pub unreadable: Vec<(String, String)>,
}

impl SourceTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SourceTree {
            root: root.into(),
            ..Default::default()
        }
    }

    /// Adds a text file; for tests and tools that build courses in memory.
    pub fn add_text(&mut self, rel: &str, text: impl Into<Vec<u8>>) {
        let rel = rel.trim_start_matches('/').to_string();
        let mut dir = rel.as_str();
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if !self.dirs.iter().any(|d| d == parent) {
                self.dirs.push(parent.to_string());
            }
            dir = parent;
        }
        self.dirs.sort();
        let entry = if rel.starts_with(&format!("{ASSETS_DIR}/")) {
            let bytes = text.into();
            SourceFile::Asset {
                size: bytes.len() as u64,
                hash: ContentHash::of_bytes(&bytes),
            }
        } else {
            SourceFile::Text(text.into())
        };
        self.files.insert(rel, entry);
    }

    /// Reads every file under `root`, skipping names that start with `.` or `_`.
    pub fn read(root: &Path) -> io::Result<Self> {
        let mut tree = SourceTree::new(root);
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let rel = err
                        .path()
                        .and_then(|p| p.strip_prefix(root).ok())
                        .map(rel_string)
                        .unwrap_or_default();
                    if rel.is_empty() && err.depth() == 0 {
                        return Err(err.into());
                    }
                    tree.unreadable.push((rel, err.to_string()));
                    continue;
                }
            };
            if entry.depth() == 0 {
                continue;
            }
            let rel = rel_string(
                entry
                    .path()
                    .strip_prefix(root)
                    .expect("walkdir stays under root"),
            );
            if entry.file_type().is_dir() {
                tree.dirs.push(rel);
                continue;
            }
            let result = if rel.starts_with(&format!("{ASSETS_DIR}/")) {
                hash_file(entry.path()).map(|(size, hash)| SourceFile::Asset { size, hash })
            } else {
                fs::read(entry.path()).map(SourceFile::Text)
            };
            match result {
                Ok(file) => {
                    tree.files.insert(rel, file);
                }
                Err(err) => tree.unreadable.push((rel, err.to_string())),
            }
        }
        Ok(tree)
    }

    /// The path of `rel` as the trainer sees it, for diagnostics.
    pub fn display_path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }

    pub fn text(&self, rel: &str) -> Option<&[u8]> {
        match self.files.get(rel) {
            Some(SourceFile::Text(bytes)) => Some(bytes),
            _ => None,
        }
    }

    pub fn contains(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    /// The direct children of folder `dir` ("" for the root): (name, is_dir).
    pub fn children(&self, dir: &str) -> Vec<(String, bool)> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let direct = |p: &str| -> Option<String> {
            let rest = p.strip_prefix(&prefix)?;
            (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
        };
        let mut out: Vec<(String, bool)> = self
            .dirs
            .iter()
            .filter_map(|d| direct(d).map(|n| (n, true)))
            .chain(
                self.files
                    .keys()
                    .filter_map(|f| direct(f).map(|n| (n, false))),
            )
            .collect();
        out.sort();
        out
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || name.starts_with('_')
}

fn rel_string(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn hash_file(path: &Path) -> io::Result<(u64, ContentHash)> {
    let mut hasher = blake3::Hasher::new();
    let mut file = fs::File::open(path)?;
    let size = io::copy(&mut file, &mut hasher)?;
    Ok((size, ContentHash::of_bytes_hash(hasher.finalize())))
}
