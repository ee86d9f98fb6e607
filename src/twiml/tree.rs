//! TwiML read back as a plain element tree: for tests, and for comparing answers whatever
//! their attribute order or white space.

use std::fmt;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    /// Sorted by name, so two documents compare equal whatever order they wrote them in.
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    /// Text with its white space folded; text that is only white space is dropped.
    Text(String),
}

#[derive(Debug, thiserror::Error)]
#[error("not a well-formed TwiML document: {0}")]
pub struct ParseError(String);

impl Element {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The element's own text and its descendants', joined.
    /// Pieces of text are joined as written, with a space between pieces that have none (two
    /// `<Say>`s), except before punctuation: a `<Say>` with marked-up numbers reads as written,
    /// "dial 999." and not "dial 999 .".
    pub fn text(&self) -> String {
        let mut parts = Vec::new();
        self.collect_text(&mut parts);
        let mut text = String::new();
        for part in parts {
            let joined = text.is_empty()
                || text.ends_with(char::is_whitespace)
                || part.starts_with(char::is_whitespace)
                || part.starts_with([',', '.', ';', ':', '!', '?', ')']);
            if !joined {
                text.push(' ');
            }
            text.push_str(&part);
        }
        fold(&text).trim().to_owned()
    }

    fn collect_text(&self, parts: &mut Vec<String>) {
        for child in &self.children {
            match child {
                Node::Text(t) => parts.push(t.clone()),
                Node::Element(e) => e.collect_text(parts),
            }
        }
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The element written one element a line, attributes sorted, text trimmed: two documents
    /// that differ only in attribute order or white space write the same, so this is what
    /// fixtures store and what a diff compares.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        out.push_str(&indent);
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attributes {
            out.push_str(&format!(" {name}=\"{}\"", escape(value, true)));
        }
        let texts_only = self.children.iter().all(|c| matches!(c, Node::Text(_)));
        if self.children.is_empty() {
            out.push_str("/>\n");
        } else if texts_only {
            out.push('>');
            out.push_str(&escape(self.text().trim(), false));
            out.push_str(&format!("</{}>\n", self.name));
        } else {
            out.push_str(">\n");
            for child in &self.children {
                match child {
                    Node::Element(e) => e.write_pretty(out, depth + 1),
                    Node::Text(t) => {
                        out.push_str(&format!("{indent}  {}\n", escape(t.trim(), false)));
                    }
                }
            }
            out.push_str(&format!("{indent}</{}>\n", self.name));
        }
    }

    /// Every element below this one, depth first, with this one first.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut all = vec![self];
        for child in self.elements() {
            all.extend(child.descendants());
        }
        all
    }
}

/// Parses a whole document; its root element is returned.
pub fn parse(xml: &str) -> Result<Element, ParseError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let err = |e: &dyn fmt::Display| ParseError(e.to_string());
    loop {
        let event = reader.read_event().map_err(|e| err(&e))?;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                return Err(ParseError(format!(
                    "content after the root element: {:?}",
                    start.name().as_ref().to_owned()
                )));
            }
            Event::Start(start) => stack.push(element(&start)?),
            Event::Empty(start) => {
                let e = element(&start)?;
                close(&mut stack, &mut root, e);
            }
            Event::End(_) => {
                let e = stack
                    .pop()
                    .ok_or_else(|| ParseError("an end tag with no start".into()))?;
                close(&mut stack, &mut root, e);
            }
            Event::Text(text) => push_text(&mut stack, &text.xml10_content()),
            Event::CData(data) => push_text(&mut stack, &data.xml10_content()),
            Event::GeneralRef(reference) => {
                let name = reference.xml10_content();
                let resolved = match reference.resolve_char_ref().map_err(|e| err(&e))? {
                    Some(c) => c.to_string(),
                    None => resolve_predefined_entity(&name)
                        .ok_or_else(|| ParseError(format!("unknown entity &{name};")))?
                        .to_owned(),
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(ParseError("the document ends inside an element".into()));
    }
    root.ok_or_else(|| ParseError("no root element".into()))
}

fn element(start: &quick_xml::events::BytesStart<'_>) -> Result<Element, ParseError> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| ParseError(e.to_string()))?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| ParseError(e.to_string()))?;
        attributes.push((attribute.key.as_ref().to_owned(), value.into_owned()));
    }
    attributes.sort();
    Ok(Element {
        name: start.name().as_ref().to_owned(),
        attributes,
        children: Vec::new(),
    })
}

fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

/// Adjacent text (split by entity references) is joined, then white space folded.
fn push_text(stack: &mut [Element], text: &str) {
    let Some(parent) = stack.last_mut() else {
        return;
    };
    if let Some(Node::Text(previous)) = parent.children.last_mut() {
        let joined = format!("{previous}{text}");
        *previous = fold(&joined);
    } else if !fold(text).is_empty() {
        parent.children.push(Node::Text(fold(text)));
    }
}

/// Text or an attribute value, escaped for XML.
fn escape(text: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn fold(text: &str) -> String {
    let mut folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // Keep one space at either end so text split by an entity joins up right.
    if text.starts_with(char::is_whitespace) && !folded.is_empty() {
        folded.insert(0, ' ');
    }
    if text.ends_with(char::is_whitespace) && !folded.is_empty() {
        folded.push(' ');
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_the_writer_wrote() {
        let doc = parse("<?xml version=\"1.0\"?><Response><Say b=\"2\" a=\"1\">A &amp; E, &lt;999&gt;</Say><Hangup/></Response>").unwrap();
        assert_eq!(doc.name, "Response");
        let say = doc.elements().next().unwrap();
        assert_eq!(
            say.attributes,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(say.text().trim(), "A & E, <999>");
        assert_eq!(doc.descendants().len(), 3);
    }

    #[test]
    fn pretty_is_the_same_whatever_the_attribute_order_and_white_space() {
        let a = parse("<Response><Gather b=\"2\" a=\"x&amp;y\"><Say>  Hello\n  there &lt;you&gt; </Say></Gather><Hangup/></Response>").unwrap();
        let b = parse("<?xml version=\"1.0\"?>\n<Response>\n  <Gather a=\"x&amp;y\" b=\"2\">\n    <Say>Hello there &lt;you&gt;</Say>\n  </Gather>\n  <Hangup></Hangup>\n</Response>\n").unwrap();
        let expected = "<Response>\n  <Gather a=\"x&amp;y\" b=\"2\">\n    <Say>Hello there &lt;you&gt;</Say>\n  </Gather>\n  <Hangup/>\n</Response>\n";
        assert_eq!(a.pretty(), expected);
        assert_eq!(b.pretty(), expected);
        // And it reads back as itself.
        assert_eq!(parse(expected).unwrap().pretty(), expected);
    }

    #[test]
    fn refuses_broken_documents() {
        for bad in [
            "<Response>",
            "<Response></Say>",
            "",
            "<a/><b/>",
            "<Response>&bogus;</Response>",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
