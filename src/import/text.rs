//! What a feed's free text says: a LOCATION read into a venue's parts where the text allows
//! ("Palantir Technologies, 1200 17th St, Denver, CO 80202, USA"), and a DESCRIPTION written in
//! HTML (Gancio, Mobilizon, WordPress) turned into plain text. Turnout never passes a feed's
//! markup on; pages escape whatever text they show.

use crate::domain::catalog::VenueInput;

/// "USA", "United States" …: the country a US address ends with.
fn us_country(part: &str) -> bool {
    matches!(
        part.trim().to_ascii_lowercase().as_str(),
        "us" | "usa" | "u.s." | "u.s.a." | "united states" | "united states of america"
    )
}

fn is_zip(part: &str) -> bool {
    let p = part.trim();
    if !p.is_ascii() {
        return false;
    }
    let (five, rest) = p.split_at(p.len().min(5));
    five.len() == 5
        && five.bytes().all(|b| b.is_ascii_digit())
        && (rest.is_empty()
            || (rest.len() == 5
                && rest.starts_with('-')
                && rest[1..].bytes().all(|b| b.is_ascii_digit())))
}

fn is_state(part: &str) -> bool {
    let p = part.trim();
    p.len() == 2 && p.bytes().all(|b| b.is_ascii_uppercase())
}

/// A place as a feed writes it, read into a venue: the name first, then the street, city, region
/// and postal code when the text is a US-style address (`…, City, ST 12345[, USA]` or
/// `…, City, ST, 12345`); otherwise the whole text is the name. `lines` of Apple's two-line
/// form: the first is the name, the rest the address.
pub fn venue(location: &str) -> VenueInput {
    let lines: Vec<&str> = location
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let (named, text) = match lines.as_slice() {
        [] => (None, String::new()),
        [one] => (None, (*one).to_string()),
        [first, rest @ ..] => (Some((*first).to_string()), rest.join(", ")),
    };
    let mut parts: Vec<String> = text
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let mut v = VenueInput::default();
    if parts.last().is_some_and(|p| us_country(p)) {
        parts.pop();
        v.country = Some("US".into());
    }
    // "ST 12345", or "ST" and "12345" apart; "Illinois, 60604" (a state spelled out) too.
    let mut region_zip = None;
    if let Some(last) = parts.last() {
        let words: Vec<&str> = last.split_whitespace().collect();
        if let [state, zip] = words.as_slice() {
            if is_state(state) && is_zip(zip) {
                region_zip = Some((state.to_string(), Some(zip.to_string())));
            }
        } else if is_zip(last) && parts.len() >= 3 {
            let zip = parts.pop();
            region_zip = parts.last().map(|state| (state.clone(), zip));
        } else if is_state(last) && parts.len() >= 2 {
            region_zip = Some((last.clone(), None));
        }
    }
    match region_zip {
        Some((region, zip)) if parts.len() >= 2 => {
            parts.pop();
            v.region = Some(region);
            v.postal_code = zip.filter(|z| !z.is_empty());
            v.city = parts.pop();
            v.country.get_or_insert_with(|| "US".into());
            let street = parts.join(", ");
            match named {
                Some(name) => {
                    v.name = Some(name);
                    v.address = (!street.is_empty()).then_some(street);
                }
                None => {
                    // "630 Sansome St, San Francisco": the street names the place; "Omni
                    // Commons, 4799 Shattuck Ave, …": the first part does.
                    let first = parts.first().cloned();
                    let starts_with_number = first
                        .as_deref()
                        .is_some_and(|f| f.starts_with(|c: char| c.is_ascii_digit()));
                    if starts_with_number || parts.len() < 2 {
                        v.name = first.clone().or_else(|| v.city.clone());
                        v.address = (!street.is_empty()).then_some(street);
                    } else {
                        v.name = first;
                        v.address = Some(parts[1..].join(", "));
                    }
                }
            }
        }
        _ => {
            v.name =
                named.or_else(|| Some(location.lines().next().unwrap_or("").trim().to_string()));
            if !text.is_empty() && v.name.as_deref() != Some(text.as_str()) {
                v.address = Some(text);
            }
            v.country = None;
        }
    }
    v
}

/// `GEO:lat;lon`, when both are numbers on the globe.
pub fn geo(value: &str) -> Option<(f64, f64)> {
    let (lat, lon) = value.split_once(';')?;
    let lat: f64 = lat.trim().parse().ok()?;
    let lon: f64 = lon.trim().parse().ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// Whether a description is written in HTML (a tag a person would not type in plain text).
pub fn looks_like_html(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "</p>",
        "<br",
        "</a>",
        "</div>",
        "<p>",
        "</li>",
        "</strong>",
        "</em>",
        "<span",
    ]
    .iter()
    .any(|t| lower.contains(t))
}

/// HTML as plain text: block ends and `<br>` become line breaks, every tag goes (a link keeps
/// its text), entities are decoded, runs of blank lines are one.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            // A lone "<": text.
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4"
        ) && (tag.starts_with('/') || name == "br")
        {
            out.push('\n');
        }
        if name == "li" && !tag.starts_with('/') {
            out.push_str("• ");
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    let mut text = String::new();
    let mut blank = 0;
    for line in decoded.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 || text.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        text.push_str(line.trim_start());
        text.push('\n');
    }
    text.trim().to_string()
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32)
                    .filter(|c| !c.is_control() || *c == '\n'),
            }?;
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(v: &VenueInput) -> [Option<&str>; 6] {
        [
            v.name.as_deref(),
            v.address.as_deref(),
            v.city.as_deref(),
            v.region.as_deref(),
            v.postal_code.as_deref(),
            v.country.as_deref(),
        ]
    }

    #[test]
    fn us_addresses_are_read_into_their_parts() {
        let v = venue("Palantir Technologies, 1200 17th St, Denver, CO 80202");
        assert_eq!(
            parts(&v),
            [
                Some("Palantir Technologies"),
                Some("1200 17th St"),
                Some("Denver"),
                Some("CO"),
                Some("80202"),
                Some("US")
            ]
        );
        let v = venue("630 Sansome St, San Francisco, CA 94111, USA");
        assert_eq!(
            parts(&v),
            [
                Some("630 Sansome St"),
                Some("630 Sansome St"),
                Some("San Francisco"),
                Some("CA"),
                Some("94111"),
                Some("US")
            ]
        );
        // The Events Calendar: the state and the code apart.
        let v = venue("The Spheres, 2111 7th Ave, Seattle, WA, 98121, United States");
        assert_eq!(
            parts(&v),
            [
                Some("The Spheres"),
                Some("2111 7th Ave"),
                Some("Seattle"),
                Some("WA"),
                Some("98121"),
                Some("US")
            ]
        );
        // Apple: the name, then the address below it.
        let v = venue("Boston Common\n139 Tremont St, Boston, MA 02111, United States");
        assert_eq!(
            parts(&v),
            [
                Some("Boston Common"),
                Some("139 Tremont St"),
                Some("Boston"),
                Some("MA"),
                Some("02111"),
                Some("US")
            ]
        );
        // Not an address it can read: the whole text is the name (any script).
        let v = venue("Plaza Mayor, Madrid, España");
        assert_eq!(v.name.as_deref(), Some("Plaza Mayor, Madrid, España"));
        assert_eq!(venue("東京都").name.as_deref(), Some("東京都"));
        // Not an address it can read: the whole text is the name.
        let v = venue("Dudley Square Library");
        assert_eq!(
            parts(&v),
            [Some("Dudley Square Library"), None, None, None, None, None]
        );
        let v = venue("Oakland, CA");
        assert_eq!(parts(&v)[2..4], [Some("Oakland"), Some("CA")]);
    }

    #[test]
    fn html_descriptions_become_plain_text() {
        assert!(looks_like_html("<p>Monthly assembly</p>"));
        assert!(!looks_like_html("Bring signs. 3 < 5 and 5 > 3."));
        assert_eq!(
            html_to_text("<p>Monthly assembly of the <strong>neighborhood</strong> network.</p><p>Bring food &amp; friends<br>RSVP: <a href=\"https://x.example\">here</a></p><script>x</script>"),
            "Monthly assembly of the neighborhood network.\nBring food & friends\nRSVP: here\nx"
        );
        assert_eq!(
            html_to_text("<ul><li>one</li><li>two</li></ul>"),
            "• one\n• two"
        );
        assert_eq!(html_to_text("a &#233; &#x41; &bogus; &"), "a é A &bogus; &");
    }

    #[test]
    fn geo_is_read_when_on_the_globe() {
        assert_eq!(geo("30.2672;-97.7431"), Some((30.2672, -97.7431)));
        assert_eq!(geo("91;0"), None);
        assert_eq!(geo("north;west"), None);
    }
}
