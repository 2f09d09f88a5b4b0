//! Prompt templates: compiled in, each replaceable by a file `NAME.txt` in `ai.prompts_dir`.
//! A template names its inputs as `{{name}}`.

use std::collections::BTreeMap;
use std::path::Path;

/// The templates, by name.
pub const NAMES: [&str; 5] = [
    "cluster_keywords",
    "generate_ideas",
    "write_article",
    "rewrite_content",
    "site_structure",
];

fn compiled(name: &str) -> &'static str {
    match name {
        "cluster_keywords" => include_str!("prompts/cluster_keywords.txt"),
        "generate_ideas" => include_str!("prompts/generate_ideas.txt"),
        "write_article" => include_str!("prompts/write_article.txt"),
        "rewrite_content" => include_str!("prompts/rewrite_content.txt"),
        "site_structure" => include_str!("prompts/site_structure.txt"),
        _ => unreachable!("every template name has a compiled default"),
    }
}

/// The templates in use: the operator's files where present, the compiled defaults otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    texts: BTreeMap<&'static str, String>,
}

impl Templates {
    /// Reads `dir/NAME.txt` for each template that has one.
    pub fn load(dir: Option<&Path>) -> std::io::Result<Templates> {
        let mut texts = BTreeMap::new();
        for name in NAMES {
            let text = match dir.map(|dir| dir.join(format!("{name}.txt"))) {
                Some(path) if path.is_file() => std::fs::read_to_string(&path)?,
                _ => compiled(name).to_owned(),
            };
            texts.insert(name, text);
        }
        Ok(Templates { texts })
    }

    /// The template `name` with each `{{key}}` replaced by its value.
    pub fn render(&self, name: &'static str, values: &[(&str, &str)]) -> String {
        let mut text = self.texts[name].clone();
        for (key, value) in values {
            text = text.replace(&format!("{{{{{key}}}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_in_the_directory_replaces_its_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("generate_ideas.txt"),
            "Ideas for {{cluster}}.",
        )
        .unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(
            templates.render("generate_ideas", &[("cluster", "tea")]),
            "Ideas for tea."
        );
        let clustering = templates.render("cluster_keywords", &[("keywords", "1: tea")]);
        assert!(clustering.contains("1: tea") && !clustering.contains("{{"));
    }
}
