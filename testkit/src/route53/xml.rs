//! Just enough XML for the Route 53 REST API: elements, text, entities.
//! Attributes (the namespace) are read past; comments and CDATA do not occur.

/// One element: its local name, its text, its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.clone())
    }
}

/// Parse a document into its root element.
pub fn parse(doc: &str) -> Result<Element, String> {
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut rest = doc;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        if let Some(top) = stack.last_mut() {
            top.text.push_str(&unescape(text));
        }
        let gt = rest[lt..].find('>').ok_or("unclosed tag")? + lt;
        let tag = &rest[lt + 1..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let done = stack.pop().ok_or("unbalanced tags")?;
            if done.name != local(name.trim()) {
                return Err(format!("</{name}> closes <{}>", done.name));
            }
            stack
                .last_mut()
                .ok_or("unbalanced tags")?
                .children
                .push(done);
            continue;
        }
        let closed = tag.ends_with('/');
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .ok_or("empty tag")?;
        let el = Element {
            name: local(name).to_string(),
            ..Element::default()
        };
        if closed {
            stack.last_mut().ok_or("unbalanced tags")?.children.push(el);
        } else {
            stack.push(el);
        }
    }
    let mut doc = stack.pop().ok_or("no document")?;
    if !stack.is_empty() || doc.children.len() != 1 {
        return Err("not one root element".into());
    }
    Ok(doc.children.remove(0))
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text escaped for an element's content.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_sdk_sends() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Comment>a &amp; b</Comment><Changes><Change><Action>DELETE</Action></Change><Change/></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "ChangeResourceRecordSetsRequest");
        let batch = root.child("ChangeBatch").unwrap();
        assert_eq!(batch.text_of("Comment").as_deref(), Some("a & b"));
        assert_eq!(batch.child("Changes").unwrap().children.len(), 2);
        assert!(parse("<a><b></a>").is_err());
    }
}
