//! Running a [`Select`] over the session user's view.

use super::super::rows::{user_cell, Cell, Row};
use super::{Column, Cond, Select, Table};
use crate::domain::{ErrorCode, GraphView, LegacyError, Uid};

/// Rows of one table, named after it (the XML row element).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub table: &'static str,
    pub rows: Vec<Row>,
}

/// One candidate row before projection.
enum Candidate {
    User(Box<crate::domain::Person>),
    Friend(Uid, Uid),
}

impl Candidate {
    fn cell(&self, col: Column) -> Cell {
        match (self, col) {
            (Candidate::User(p), Column::User(f)) => user_cell(p, f),
            (Candidate::Friend(a, _), Column::Uid1) => Cell::Uid(*a),
            (Candidate::Friend(_, b), Column::Uid2) => Cell::Uid(*b),
            _ => Cell::Empty,
        }
    }
}

fn candidates(table: Table, view: &GraphView) -> Vec<Candidate> {
    match table {
        Table::User => std::iter::once(view.user)
            .chain(view.friend_uids())
            .filter_map(|u| view.person(u))
            .map(|p| Candidate::User(Box::new(p)))
            .collect(),
        Table::Friend => view
            .friend_uids()
            .flat_map(|f| {
                [
                    Candidate::Friend(view.user, f),
                    Candidate::Friend(f, view.user),
                ]
            })
            .collect(),
    }
}

/// `cond` with every subquery replaced by the values it returns.
fn resolve(cond: &Cond, view: &GraphView) -> Result<Cond, LegacyError> {
    Ok(match cond {
        Cond::And(a, b) => Cond::And(Box::new(resolve(a, view)?), Box::new(resolve(b, view)?)),
        Cond::Or(a, b) => Cond::Or(Box::new(resolve(a, view)?), Box::new(resolve(b, view)?)),
        Cond::In(c, v) => Cond::In(*c, v.clone()),
        Cond::InSelect(c, sub) => {
            let answer = run(sub, view)?;
            let values = answer
                .rows
                .iter()
                .filter_map(|r| r.columns.first().map(|(_, cell)| cell.as_text()))
                .collect();
            Cond::In(*c, values)
        }
    })
}

fn matches(cond: &Cond, row: &Candidate) -> bool {
    match cond {
        Cond::And(a, b) => matches(a, row) && matches(b, row),
        Cond::Or(a, b) => matches(a, row) || matches(b, row),
        Cond::In(c, values) => {
            let text = row.cell(*c).as_text();
            values.contains(&text)
        }
        Cond::InSelect(..) => false,
    }
}

/// The values `cond` pins `col` to, when every way to satisfy it does.
fn pinned(cond: &Cond, col: Column) -> Option<Vec<String>> {
    match cond {
        Cond::And(a, b) => pinned(a, col).or_else(|| pinned(b, col)),
        Cond::Or(a, b) => {
            let mut left = pinned(a, col)?;
            left.extend(pinned(b, col)?);
            Some(left)
        }
        Cond::In(c, v) if *c == col => Some(v.clone()),
        _ => None,
    }
}

/// As on Facebook, the friend table is read only for the logged-in user or for pairs.
fn check_friend_lookup(cond: &Cond, view: &GraphView) -> Result<(), LegacyError> {
    let me = view.user.to_string();
    for (col, other) in [(Column::Uid1, Column::Uid2), (Column::Uid2, Column::Uid1)] {
        if let Some(values) = pinned(cond, col) {
            if let Some(stranger) = values.iter().find(|v| **v != me) {
                if pinned(cond, other).is_none() {
                    return Err(LegacyError::with_message(
                        ErrorCode::FqlNotIndexable,
                        format!(
                            "Can't lookup all friends of {stranger}; only for the logged in user ({me}) or for pairs of users."
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

pub fn run(select: &Select, view: &GraphView) -> Result<Answer, LegacyError> {
    let filter = resolve(&select.filter, view)?;
    if select.table == Table::Friend {
        check_friend_lookup(&filter, view)?;
    }
    let rows = candidates(select.table, view)
        .into_iter()
        .filter(|c| matches(&filter, c))
        .map(|c| Row {
            columns: select
                .columns
                .iter()
                .map(|col| (col.name(), c.cell(*col)))
                .collect(),
        })
        .collect();
    Ok(Answer {
        table: select.table.name(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::parse;
    use super::*;
    use crate::domain::Profile;

    fn u(n: u64) -> Uid {
        Uid::new(n).unwrap()
    }

    fn view() -> GraphView {
        let mut profiles = HashMap::new();
        profiles.insert(
            u(1002),
            Profile {
                name: Some("Alice".into()),
                ..Profile::default()
            },
        );
        GraphView {
            user: u(1001),
            uses_app: true,
            friends: vec![(u(1002), true), (u(1003), false), (u(1004), true)],
            profiles,
            synced_at_ms: None,
        }
    }

    fn texts(a: &Answer) -> Vec<Vec<String>> {
        a.rows
            .iter()
            .map(|r| r.columns.iter().map(|(_, c)| c.as_text()).collect())
            .collect()
    }

    #[test]
    fn the_invite_page_query() {
        let q = parse("SELECT uid FROM user WHERE has_added_app = 1 AND uid IN (SELECT uid2 FROM friend WHERE uid1 = 1001)").unwrap();
        let a = run(&q, &view()).unwrap();
        assert_eq!(a.table, "user");
        assert_eq!(texts(&a), vec![vec!["1002"], vec!["1004"]]);
    }

    #[test]
    fn columns_in_select_order_and_visibility() {
        let q = parse("SELECT name, uid FROM user WHERE uid IN (1002, 1003, 9999) OR uid = 1001")
            .unwrap();
        let a = run(&q, &view()).unwrap();
        assert_eq!(
            texts(&a),
            vec![vec!["", "1001"], vec!["Alice", "1002"], vec!["", "1003"]]
        );
        assert_eq!(a.rows[0].columns[0].0, "name");
    }

    #[test]
    fn errors_have_facebooks_codes_and_texts() {
        let cases = [
            ("SELECT * FROM user WHERE uid = 1", 601, "Parser error: SELECT * is not supported.  Please manually list the columns you are interested in."),
            ("SELECT uid FROM user", 601, "Parser error: WHERE clause is required."),
            ("SELECT uid", 601, "Parser error: FROM and WHERE clauses are required."),
            ("SELECT uid FROM user WHERE", 601, "Parser error: unexpected end of query."),
            ("SELECT uid FROM user WHERE uid = = 1", 601, "Parser error: unexpected '=' at position 33."),
            ("SELECT password FROM user WHERE uid = 1", 602, "password is not a member of the user table."),
            ("SELECT uid FROM page WHERE page_id = 1", 603, "Unknown table: page"),
            ("SELECT uid FROM user WHERE name = 'Alice'", 604, super::super::NOT_INDEXABLE),
            ("SELECT uid FROM user WHERE now() = 1", 605, "now is not a valid function name."),
        ];
        for (q, code, msg) in cases {
            let e = parse(q).unwrap_err();
            assert_eq!((e.code.code(), e.public_message()), (code, msg), "{q}");
        }
        let q = parse("SELECT uid2 FROM friend WHERE uid1 = 1002").unwrap();
        let e = run(&q, &view()).unwrap_err();
        assert_eq!(e.code.code(), 604);
        assert!(e
            .public_message()
            .starts_with("Can't lookup all friends of 1002"));
        let pair = parse("SELECT uid1 FROM friend WHERE uid1 = 1002 AND uid2 = 1001").unwrap();
        assert_eq!(texts(&run(&pair, &view()).unwrap()), vec![vec!["1002"]]);
    }
}
