//! The JQL subset the rehearsal Jira understands: conditions on a handful of fields joined by
//! `AND`, `OR` and parentheses, and `ORDER BY`. What it cannot answer it refuses with Jira's
//! own words for a bad query (a 400 the caller turns into `{"errorMessages": [...]}`), never
//! with a silently wrong result.
//!
//! ```text
//! query     := [or] [ORDER BY sort ("," sort)*]
//! or        := and (OR and)*
//! and       := not (AND not)*
//! not       := NOT not | "(" or ")" | condition
//! condition := field ("=" | "!=" | "~" | "!~") value
//!            | field [NOT] IN "(" value ("," value)* ")"
//!            | field IS [NOT] (EMPTY | NULL)
//!            | (created | updated) ("=" | "!=" | "<" | "<=" | ">" | ">=") date
//! value     := word | "quoted" | 'quoted' | currentUser()
//! date      := a period ("-7d", "-1w 2d", "4h") | "yyyy-MM-dd[ HH:mm]" | "yyyy/MM/dd[ HH:mm]"
//!            | now() | startOfDay()
//! sort      := field [ASC | DESC]
//! ```

/// A field a condition or a sort may name (aliases as Jira has them: `issuekey`, `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Project,
    Key,
    Id,
    Summary,
    Description,
    Text,
    Status,
    StatusCategory,
    Resolution,
    IssueType,
    Priority,
    Labels,
    Reporter,
    Assignee,
    Created,
    Updated,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "project" => Field::Project,
            "key" | "issuekey" | "issue" => Field::Key,
            "id" => Field::Id,
            "summary" => Field::Summary,
            "description" => Field::Description,
            "text" => Field::Text,
            "status" => Field::Status,
            "statuscategory" => Field::StatusCategory,
            "resolution" => Field::Resolution,
            "issuetype" | "type" => Field::IssueType,
            "priority" => Field::Priority,
            "labels" => Field::Labels,
            "reporter" => Field::Reporter,
            "assignee" => Field::Assignee,
            "created" | "createddate" => Field::Created,
            "updated" | "updateddate" => Field::Updated,
            _ => return None,
        })
    }

    /// The name Jira's messages use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Project => "project",
            Field::Key => "key",
            Field::Id => "id",
            Field::Summary => "summary",
            Field::Description => "description",
            Field::Text => "text",
            Field::Status => "status",
            Field::StatusCategory => "statusCategory",
            Field::Resolution => "resolution",
            Field::IssueType => "issuetype",
            Field::Priority => "priority",
            Field::Labels => "labels",
            Field::Reporter => "reporter",
            Field::Assignee => "assignee",
            Field::Created => "created",
            Field::Updated => "updated",
        }
    }

    /// Fields searched by text (`~`) rather than compared.
    fn is_text(self) -> bool {
        matches!(self, Field::Summary | Field::Description | Field::Text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Literal(String),
    CurrentUser,
    /// `now()` or `startOfDay()`: dates, which only `created` and `updated` take.
    Now,
    StartOfDay,
}

/// A date a condition compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// This many seconds from now (negative: ago).
    FromNow(i64),
    /// Midnight UTC today, and this many seconds from it.
    FromStartOfDay(i64),
    /// A moment (Unix seconds, UTC).
    At(i64),
}

impl When {
    /// The moment, given now (Unix seconds).
    pub(crate) fn at(self, now: i64) -> i64 {
        match self {
            When::FromNow(secs) => now + secs,
            When::FromStartOfDay(secs) => now - now.rem_euclid(86_400) + secs,
            When::At(at) => at,
        }
    }
}

/// How a date is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl DateOp {
    pub(crate) fn holds(self, left: i64, right: i64) -> bool {
        match self {
            DateOp::Eq => left == right,
            DateOp::Ne => left != right,
            DateOp::Lt => left < right,
            DateOp::Le => left <= right,
            DateOp::Gt => left > right,
            DateOp::Ge => left >= right,
        }
    }
}

/// A period (`-7d`, `-1w 2d`, `4h`, `+30m`) in seconds, or a date (`2026-01-05`,
/// `2026/01/05 09:00`, UTC) as Unix seconds; Jira's message otherwise.
fn date(text: &str, field: Field) -> Result<When, String> {
    let invalid = || {
        format!(
            "Date value '{text}' for field '{}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
            field.name()
        )
    };
    let trimmed = text.trim();
    let split = trimmed.get(..10).zip(trimmed.get(10..));
    if let Some((day, time)) = split.filter(|_| trimmed.starts_with(|c: char| c.is_ascii_digit())) {
        let parts: Vec<&str> = day.split(['-', '/']).collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(invalid());
        };
        let number = |s: &str| s.parse::<i64>().map_err(|_| invalid());
        let month = u8::try_from(number(m)?)
            .ok()
            .and_then(|m| time::Month::try_from(m).ok());
        let date = month
            .and_then(|month| {
                time::Date::from_calendar_date(
                    i32::try_from(number(y).ok()?).ok()?,
                    month,
                    u8::try_from(number(d).ok()?).ok()?,
                )
                .ok()
            })
            .ok_or_else(invalid)?;
        let (hour, minute) = match time.trim() {
            "" => (0, 0),
            hm => {
                let (h, m) = hm.split_once(':').ok_or_else(invalid)?;
                (number(h)?, number(m)?)
            }
        };
        if !(0..24).contains(&hour) || !(0..60).contains(&minute) {
            return Err(invalid());
        }
        let midnight = date.midnight().assume_utc().unix_timestamp();
        return Ok(When::At(midnight + hour * 3600 + minute * 60));
    }
    let (sign, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let mut total = 0i64;
    let mut digits = String::new();
    let mut any = false;
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            'w' | 'd' | 'h' | 'm' if !digits.is_empty() => {
                let n: i64 = digits.parse().map_err(|_| invalid())?;
                let unit = match c {
                    'w' => 7 * 86_400,
                    'd' => 86_400,
                    'h' => 3600,
                    _ => 60,
                };
                total = total.saturating_add(n.saturating_mul(unit));
                digits.clear();
                any = true;
            }
            ' ' if digits.is_empty() => {}
            _ => return Err(invalid()),
        }
    }
    if !any || !digits.is_empty() {
        return Err(invalid());
    }
    Ok(When::FromNow(sign * total))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// `field = v`, `field IN (v, …)`; `negated` for `!=` and `NOT IN`.
    Equals {
        field: Field,
        values: Vec<Value>,
        negated: bool,
    },
    /// `field ~ "text"`; `negated` for `!~`.
    Contains {
        field: Field,
        text: String,
        negated: bool,
    },
    /// `field IS EMPTY`; `negated` for `IS NOT EMPTY`.
    Empty { field: Field, negated: bool },
    /// `created >= -7d`: a date field against a date.
    Date {
        field: Field,
        op: DateOp,
        when: When,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Condition(Condition),
}

impl Expr {
    /// Every condition, for checking their values against what exists before searching.
    pub(crate) fn conditions(&self) -> Vec<&Condition> {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                let mut all = a.conditions();
                all.extend(b.conditions());
                all
            }
            Expr::Not(e) => e.conditions(),
            Expr::Condition(c) => vec![c],
        }
    }

    /// Whether an issue matches, given how to read a condition on it.
    pub(crate) fn matches(&self, condition: &impl Fn(&Condition) -> bool) -> bool {
        match self {
            Expr::And(a, b) => a.matches(condition) && b.matches(condition),
            Expr::Or(a, b) => a.matches(condition) || b.matches(condition),
            Expr::Not(e) => !e.matches(condition),
            Expr::Condition(c) => condition(c),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sort {
    pub(crate) field: Field,
    pub(crate) descending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    /// `None`: every issue (an unbounded query, which Cloud's `search/jql` refuses).
    pub(crate) filter: Option<Expr>,
    pub(crate) order: Vec<Sort>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(&'static str),
}

impl Token {
    fn shown(&self) -> String {
        match self {
            Token::Word(w) => w.clone(),
            Token::Quoted(q) => q.clone(),
            Token::Op(op) => (*op).to_string(),
        }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

/// Jira's reserved words, which cannot be a value unless quoted.
const RESERVED: [&str; 9] = [
    "and", "or", "not", "in", "is", "order", "by", "empty", "null",
];

fn tokens(jql: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = jql.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' || c == '\'' {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            while let Some((_, ch)) = chars.next() {
                match ch {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            text.push(escaped);
                        }
                    }
                    _ if ch == c => {
                        closed = true;
                        break;
                    }
                    _ => text.push(ch),
                }
            }
            if !closed {
                return Err(format!(
                    "Error in the JQL Query: The quoted string '{text}' has not been completed. The query was: {jql}"
                ));
            }
            out.push(Token::Quoted(text));
            continue;
        }
        let two = jql.get(at..at + 2).unwrap_or_default();
        if let Some(op) = ["!=", "!~", ">=", "<="].into_iter().find(|op| *op == two) {
            chars.next();
            chars.next();
            out.push(Token::Op(op));
            continue;
        }
        if let Some(op) = ["=", "~", ">", "<", "(", ")", ","]
            .into_iter()
            .find(|op| op.starts_with(c))
        {
            chars.next();
            out.push(Token::Op(op));
            continue;
        }
        let mut word = String::new();
        while let Some(&(_, ch)) = chars.peek() {
            if ch.is_alphanumeric() || "-_.:@".contains(ch) {
                word.push(ch);
                chars.next();
            } else {
                break;
            }
        }
        if word.is_empty() {
            return Err(format!(
                "Error in the JQL Query: The character '{c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u{:04x}' instead. The query was: {jql}",
                c as u32
            ));
        }
        out.push(Token::Word(word));
    }
    Ok(out)
}

/// Conditions one query may hold, and how deep parentheses and `NOT` may nest: the parser and
/// the evaluator recurse, and a query is a request's text, so both are bounded.
const MAX_CONDITIONS: usize = 200;
const MAX_DEPTH: usize = 20;

struct Parser<'a> {
    jql: &'a str,
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    conditions: usize,
}

/// Parses `jql`; the error is Jira's message for it.
pub(crate) fn parse(jql: &str) -> Result<Query, String> {
    let mut parser = Parser {
        jql,
        tokens: tokens(jql)?,
        at: 0,
        depth: 0,
        conditions: 0,
    };
    parser.query()
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        self.peek().is_some_and(|t| t.is_keyword(keyword))
    }

    fn expecting(&self, what: &str, got: Option<&Token>) -> String {
        let got = match got {
            Some(token) => format!("'{}'", token.shown()),
            None => "end of query".to_string(),
        };
        format!(
            "Error in the JQL Query: Expecting {what} but got {got}. The query was: {}",
            self.jql
        )
    }

    fn query(&mut self) -> Result<Query, String> {
        let filter = if self.peek().is_none() || self.peek_keyword("order") {
            None
        } else {
            Some(self.or()?)
        };
        let mut order = Vec::new();
        if self.peek_keyword("order") {
            self.next();
            if !self.peek_keyword("by") {
                let got = self.peek().cloned();
                return Err(self.expecting("'by'", got.as_ref()));
            }
            self.next();
            loop {
                let field = self.field()?;
                let descending = if self.peek_keyword("desc") {
                    self.next();
                    true
                } else {
                    if self.peek_keyword("asc") {
                        self.next();
                    }
                    false
                };
                order.push(Sort { field, descending });
                if self.peek() == Some(&Token::Op(",")) {
                    self.next();
                } else {
                    break;
                }
            }
        }
        if let Some(token) = self.peek().cloned() {
            let what = if filter.is_some() || !order.is_empty() {
                "either 'OR' or 'AND'"
            } else {
                "a field name"
            };
            return Err(self.expecting(what, Some(&token)));
        }
        Ok(Query { filter, order })
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek_keyword("or") {
            self.next();
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        while self.peek_keyword("and") {
            self.next();
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn too_complex(&self) -> String {
        format!(
            "The JQL query is too complex for this rehearsal Jira: at most {MAX_CONDITIONS} conditions and {MAX_DEPTH} levels of parentheses or NOT."
        )
    }

    fn not(&mut self) -> Result<Expr, String> {
        let nested = self.peek_keyword("not") || self.peek() == Some(&Token::Op("("));
        if !nested {
            self.conditions += 1;
            if self.conditions > MAX_CONDITIONS {
                return Err(self.too_complex());
            }
            return self.condition().map(Expr::Condition);
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.too_complex());
        }
        let expr = if self.peek_keyword("not") {
            self.next();
            Expr::Not(Box::new(self.not()?))
        } else {
            self.next();
            let inner = self.or()?;
            if self.peek() != Some(&Token::Op(")")) {
                let got = self.peek().cloned();
                return Err(self.expecting("')'", got.as_ref()));
            }
            self.next();
            inner
        };
        self.depth -= 1;
        Ok(expr)
    }

    fn field(&mut self) -> Result<Field, String> {
        match self.next() {
            Some(Token::Word(name)) | Some(Token::Quoted(name))
                if !RESERVED.contains(&name.to_ascii_lowercase().as_str()) =>
            {
                Field::parse(&name).ok_or_else(|| {
                    format!(
                        "Field '{name}' does not exist or you do not have permission to view it."
                    )
                })
            }
            got => Err(self.expecting("a field name", got.as_ref())),
        }
    }

    fn condition(&mut self) -> Result<Condition, String> {
        let field = self.field()?;
        let op = match self.next() {
            Some(Token::Op(op)) if op != "(" && op != ")" && op != "," => op.to_string(),
            Some(token) if token.is_keyword("in") => "in".into(),
            Some(token) if token.is_keyword("is") => {
                if self.peek_keyword("not") {
                    self.next();
                    "is not".into()
                } else {
                    "is".into()
                }
            }
            Some(token) if token.is_keyword("not") && self.peek_keyword("in") => {
                self.next();
                "not in".into()
            }
            got => return Err(self.expecting("operator", got.as_ref())),
        };
        if matches!(field, Field::Created | Field::Updated) {
            let op = match op.as_str() {
                "=" => DateOp::Eq,
                "!=" => DateOp::Ne,
                "<" => DateOp::Lt,
                "<=" => DateOp::Le,
                ">" => DateOp::Gt,
                ">=" => DateOp::Ge,
                "is" | "is not" => {
                    return Err(format!("The field '{}' is never empty.", field.name()));
                }
                other => {
                    return Err(format!(
                        "The operator '{}' is not supported by the '{}' field.",
                        other.to_uppercase(),
                        field.name()
                    ));
                }
            };
            let when = match self.value()? {
                Value::Literal(text) => date(&text, field)?,
                Value::Now => When::FromNow(0),
                Value::StartOfDay => When::FromStartOfDay(0),
                Value::CurrentUser => {
                    return Err(format!(
                        "The field '{}' takes a date, not currentUser().",
                        field.name()
                    ));
                }
            };
            return Ok(Condition::Date { field, op, when });
        }
        let unsupported = || {
            format!(
                "The operator '{}' is not supported by the '{}' field.",
                op.to_uppercase(),
                field.name()
            )
        };
        let no_dates = |values: Vec<Value>| {
            if values
                .iter()
                .any(|v| matches!(v, Value::Now | Value::StartOfDay))
            {
                return Err(format!(
                    "The field '{}' does not take a date function.",
                    field.name()
                ));
            }
            Ok(values)
        };
        match op.as_str() {
            "=" | "!=" if field.is_text() => Err(unsupported()),
            "=" | "!=" => Ok(Condition::Equals {
                field,
                values: no_dates(vec![self.value()?])?,
                negated: op == "!=",
            }),
            "in" | "not in" if field.is_text() => Err(unsupported()),
            "in" | "not in" => Ok(Condition::Equals {
                field,
                values: no_dates(self.list()?)?,
                negated: op == "not in",
            }),
            "~" | "!~" if field.is_text() => match self.value()? {
                Value::Literal(text) => Ok(Condition::Contains {
                    field,
                    text,
                    negated: op == "!~",
                }),
                _ => Err(unsupported()),
            },
            "is" | "is not" => match self.next() {
                Some(t) if t.is_keyword("empty") || t.is_keyword("null") => Ok(Condition::Empty {
                    field,
                    negated: op == "is not",
                }),
                got => Err(self.expecting("'EMPTY'", got.as_ref())),
            },
            _ => Err(unsupported()),
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Token::Quoted(text)) => Ok(Value::Literal(text)),
            Some(Token::Word(word)) if !RESERVED.contains(&word.to_ascii_lowercase().as_str()) => {
                if self.peek() == Some(&Token::Op("(")) {
                    self.next();
                    if self.next() != Some(Token::Op(")")) {
                        return Err(self.expecting("')'", None));
                    }
                    return match word.to_ascii_lowercase().as_str() {
                        "currentuser" => Ok(Value::CurrentUser),
                        "now" => Ok(Value::Now),
                        "startofday" => Ok(Value::StartOfDay),
                        _ => Err(format!(
                            "Unable to find JQL function '{word}()'. (This rehearsal Jira knows currentUser(), now() and startOfDay().)"
                        )),
                    };
                }
                Ok(Value::Literal(word))
            }
            got => Err(self.expecting("either a value, list or function", got.as_ref())),
        }
    }

    fn list(&mut self) -> Result<Vec<Value>, String> {
        if self.peek() != Some(&Token::Op("(")) {
            let got = self.peek().cloned();
            return Err(self.expecting("'('", got.as_ref()));
        }
        self.next();
        let mut values = vec![self.value()?];
        loop {
            match self.next() {
                Some(Token::Op(",")) => values.push(self.value()?),
                Some(Token::Op(")")) => return Ok(values),
                got => return Err(self.expecting("')'", got.as_ref())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(s: &str) -> Value {
        Value::Literal(s.into())
    }

    #[test]
    fn conditions_joined_by_and_or_and_parentheses() {
        let q = parse("project = DEMO AND (key = DEMO-1 OR labels in (a, \"b c\"))").unwrap();
        let Some(Expr::And(left, right)) = q.filter else {
            panic!("{q:?}")
        };
        assert_eq!(
            *left,
            Expr::Condition(Condition::Equals {
                field: Field::Project,
                values: vec![literal("DEMO")],
                negated: false
            })
        );
        let Expr::Or(_, labels) = *right else {
            panic!()
        };
        assert_eq!(
            *labels,
            Expr::Condition(Condition::Equals {
                field: Field::Labels,
                values: vec![literal("a"), literal("b c")],
                negated: false
            })
        );
        assert!(q.order.is_empty());
    }

    #[test]
    fn order_by_alone_and_after_a_filter() {
        let q = parse("ORDER BY created DESC, key asc").unwrap();
        assert_eq!(q.filter, None);
        assert_eq!(
            q.order,
            vec![
                Sort {
                    field: Field::Created,
                    descending: true
                },
                Sort {
                    field: Field::Key,
                    descending: false
                }
            ]
        );
        let q = parse("issuekey != 'OPS-1' and assignee = currentUser() order by updated").unwrap();
        assert_eq!(q.order.len(), 1);
        assert_eq!(q.filter.unwrap().conditions().len(), 2);
        assert_eq!(parse("").unwrap().filter, None);
    }

    #[test]
    fn text_is_searched_not_compared_and_empties_are_tested() {
        let q = parse("summary ~ \"token expired\" AND assignee IS NOT EMPTY").unwrap();
        let conditions = q.filter.as_ref().unwrap().conditions();
        assert_eq!(
            *conditions[0],
            Condition::Contains {
                field: Field::Summary,
                text: "token expired".into(),
                negated: false
            }
        );
        assert_eq!(
            *conditions[1],
            Condition::Empty {
                field: Field::Assignee,
                negated: true
            }
        );
        assert_eq!(
            parse("summary = x").unwrap_err(),
            "The operator '=' is not supported by the 'summary' field."
        );
        assert_eq!(
            parse("project ~ x").unwrap_err(),
            "The operator '~' is not supported by the 'project' field."
        );
    }

    #[test]
    fn dates_are_periods_days_or_functions() {
        let when = |jql: &str| match parse(jql).unwrap().filter {
            Some(Expr::Condition(Condition::Date { when, .. })) => when,
            other => panic!("{other:?}"),
        };
        assert_eq!(when("created >= -7d"), When::FromNow(-7 * 86_400));
        assert_eq!(when("updated < \"-1w 2d\""), When::FromNow(-9 * 86_400));
        assert_eq!(when("created > 4h"), When::FromNow(4 * 3600));
        assert_eq!(when("created >= \"2026-01-05\""), When::At(1_767_571_200));
        assert_eq!(
            when("created <= \"2026/01/05 09:00\""),
            When::At(1_767_603_600)
        );
        assert_eq!(when("created >= startOfDay()"), When::FromStartOfDay(0));
        assert_eq!(when("updated <= now()"), When::FromNow(0));
        assert_eq!(When::FromStartOfDay(0).at(1_767_603_600), 1_767_571_200);
    }

    #[test]
    fn queries_are_bounded_and_odd_text_never_panics() {
        let deep = format!("{}project = DEMO{}", "(".repeat(21), ")".repeat(21));
        assert!(parse(&deep).unwrap_err().contains("too complex"));
        let nots = format!("{}project = DEMO", "NOT ".repeat(21));
        assert!(parse(&nots).unwrap_err().contains("too complex"));
        let twenty = format!("{}project = DEMO{}", "(".repeat(20), ")".repeat(20));
        assert!(parse(&twenty).is_ok());
        let long = vec!["key = DEMO-1"; 201].join(" OR ");
        assert!(parse(&long).unwrap_err().contains("too complex"));
        assert!(parse(&vec!["key = DEMO-1"; 200].join(" OR ")).is_ok());
        // A million parentheses would overflow a recursive parser's stack.
        assert!(parse(&"(".repeat(1_000_000)).is_err());
        for odd in [
            "created > \"2026-01-0é 10:00\"",
            "created > \"20260105éé\"",
            "created > 1234567890é",
            "summary ~ \"\\",
            "é = ü",
            "project = \u{0}",
            "!",
            "!=",
            "project in (",
            "project in (A,",
            "ORDER BY",
            "ORDER BY key,",
            "key = currentUser(",
        ] {
            assert!(parse(odd).is_err(), "{odd}");
        }
    }

    #[test]
    fn bad_queries_get_jiras_messages() {
        assert_eq!(
            parse("project DEMO").unwrap_err(),
            "Error in the JQL Query: Expecting operator but got 'DEMO'. The query was: project DEMO"
        );
        assert_eq!(
            parse("project =").unwrap_err(),
            "Error in the JQL Query: Expecting either a value, list or function but got end of query. The query was: project ="
        );
        assert_eq!(
            parse("foo = bar").unwrap_err(),
            "Field 'foo' does not exist or you do not have permission to view it."
        );
        assert_eq!(
            parse("project = A B").unwrap_err(),
            "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'B'. The query was: project = A B"
        );
        assert!(
            parse("summary ~ \"open")
                .unwrap_err()
                .contains("not been completed")
        );
        assert!(
            parse("project = DEMO ORDER created")
                .unwrap_err()
                .contains("'by'")
        );
        assert!(parse("(project = DEMO").unwrap_err().contains("')'"));
        assert!(parse("project in DEMO").unwrap_err().contains("'('"));
        assert!(
            parse("created >= -7x")
                .unwrap_err()
                .starts_with("Date value '-7x' for field 'created' is invalid.")
        );
        assert!(
            parse("updated > \"2026-13-01\"")
                .unwrap_err()
                .contains("invalid")
        );
        assert!(parse("created ~ x").unwrap_err().contains("not supported"));
        assert!(
            parse("project = x AND")
                .unwrap_err()
                .contains("a field name")
        );
        assert!(
            parse("key = membersOf(x)")
                .unwrap_err()
                .contains("membersOf")
        );
        assert!(
            parse("project = DEMO; drop")
                .unwrap_err()
                .contains("reserved JQL character")
        );
        assert!(
            parse("project = and").is_err(),
            "a reserved word is no value"
        );
    }
}
