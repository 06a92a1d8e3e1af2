//! From FQL text to a [`Select`]: sqlparser's tree, walked and checked against the subset.

use sqlparser::ast::{
    BinaryOperator, Expr, InTarget, ObjectNamePart, Query, SelectItem, SetExpr, Spanned, Statement,
    TableFactor, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Location;

use super::{Column, Cond, Select, Table, NOT_INDEXABLE};
use crate::domain::{ErrorCode, LegacyError, UserField};

/// Longest query accepted (Facebook's own limit was about this).
pub const MAX_QUERY_LEN: usize = 8 * 1024;

fn parser_error(text: impl std::fmt::Display) -> LegacyError {
    LegacyError::with_message(ErrorCode::FqlParser, format!("Parser error: {text}"))
}

fn end_of_query() -> LegacyError {
    parser_error("unexpected end of query.")
}

/// The 0-based character offset of a 1-based line/column location in `text`.
fn offset(text: &str, at: Location) -> usize {
    if at.line == 0 {
        return 0;
    }
    let before: usize = text
        .split('\n')
        .take(at.line as usize - 1)
        .map(|l| l.chars().count() + 1)
        .sum();
    before + at.column.saturating_sub(1) as usize
}

fn unexpected(text: &str, token: &str, at: Location) -> LegacyError {
    parser_error(format!(
        "unexpected '{token}' at position {}.",
        offset(text, at)
    ))
}

/// sqlparser's "Expected: X, found: Y at Line: L, Column: C" as FQL's 601 texts.
fn from_sqlparser(text: &str, e: ParserError) -> LegacyError {
    let msg = match e {
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
        ParserError::RecursionLimitExceeded => return parser_error("unknown parser failure."),
    };
    let Some(found) = msg.split("found: ").nth(1) else {
        return parser_error("unknown parser failure.");
    };
    let (token, location) = match found.rsplit_once(" at Line: ") {
        Some((t, loc)) => (t, Some(loc)),
        None => (found, None),
    };
    if token == "EOF" {
        return end_of_query();
    }
    let at = location
        .and_then(|l| l.split_once(", Column: "))
        .and_then(|(l, c)| Some(Location::new(l.parse().ok()?, c.parse().ok()?)))
        .unwrap_or(Location::new(0, 0));
    unexpected(text, token, at)
}

fn unknown_table(name: &str) -> LegacyError {
    LegacyError::with_message(ErrorCode::FqlUnknownTable, format!("Unknown table: {name}"))
}

fn not_a_member(field: &str, table: Table) -> LegacyError {
    LegacyError::with_message(
        ErrorCode::FqlUnknownField,
        format!("{field} is not a member of the {} table.", table.name()),
    )
}

struct Walker<'a> {
    text: &'a str,
}

impl Walker<'_> {
    fn unexpected_expr(&self, e: &Expr) -> LegacyError {
        if let Expr::Function(f) = e {
            return LegacyError::with_message(
                ErrorCode::FqlInvalidFunction,
                format!("{} is not a valid function name.", f.name),
            );
        }
        let shown = e.to_string();
        let token = shown.split_whitespace().next().unwrap_or("");
        unexpected(self.text, token, e.span().start)
    }

    fn column(&self, table: Table, e: &Expr) -> Result<Column, LegacyError> {
        let name = match e {
            Expr::Identifier(id) => id.value.clone(),
            Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                if !parts[0].value.eq_ignore_ascii_case(table.name()) {
                    return Err(unknown_table(&parts[0].value));
                }
                parts[1].value.clone()
            }
            other => return Err(self.unexpected_expr(other)),
        };
        let lower = name.to_ascii_lowercase();
        match table {
            Table::User => UserField::parse(&lower)
                .map(Column::User)
                .ok_or_else(|| not_a_member(&name, table)),
            Table::Friend => match lower.as_str() {
                "uid1" => Ok(Column::Uid1),
                "uid2" => Ok(Column::Uid2),
                _ => Err(not_a_member(&name, table)),
            },
        }
    }

    fn literal(&self, e: &Expr) -> Result<String, LegacyError> {
        match e {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => Ok(n.to_string()),
                Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Ok(s.clone()),
                Value::Boolean(b) => Ok(if *b { "1" } else { "0" }.to_string()),
                _ => Err(self.unexpected_expr(e)),
            },
            Expr::UnaryOp { .. } | Expr::Nested(_) => Err(self.unexpected_expr(e)),
            other => Err(self.unexpected_expr(other)),
        }
    }

    fn is_column(e: &Expr) -> bool {
        matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
    }

    fn cond(&self, table: Table, e: &Expr) -> Result<Cond, LegacyError> {
        match e {
            Expr::Nested(inner) => self.cond(table, inner),
            Expr::BinaryOp { left, op, right } => match op {
                BinaryOperator::And => Ok(Cond::And(
                    Box::new(self.cond(table, left)?),
                    Box::new(self.cond(table, right)?),
                )),
                BinaryOperator::Or => Ok(Cond::Or(
                    Box::new(self.cond(table, left)?),
                    Box::new(self.cond(table, right)?),
                )),
                BinaryOperator::Eq => {
                    let (col, lit) = if Self::is_column(left) {
                        (left, right)
                    } else if Self::is_column(right) {
                        (right, left)
                    } else {
                        return Err(self.unexpected_expr(left));
                    };
                    Ok(Cond::In(self.column(table, col)?, vec![self.literal(lit)?]))
                }
                _ => Err(self.unexpected_expr(e)),
            },
            Expr::In {
                expr,
                target,
                negated: false,
                ..
            } => {
                let col = self.column(table, expr)?;
                match target {
                    InTarget::List(items) => Ok(Cond::In(
                        col,
                        items
                            .iter()
                            .map(|i| self.literal(i))
                            .collect::<Result<_, _>>()?,
                    )),
                    InTarget::Subquery(q) => {
                        let sub = self.query(q)?;
                        if sub.columns.len() != 1 {
                            return Err(parser_error("unknown parser failure."));
                        }
                        Ok(Cond::InSelect(col, Box::new(sub)))
                    }
                    _ => Err(self.unexpected_expr(e)),
                }
            }
            other => Err(self.unexpected_expr(other)),
        }
    }

    fn query(&self, q: &Query) -> Result<Select, LegacyError> {
        if q.with.is_some() || q.order_by.is_some() || q.limit_clause.is_some() {
            return Err(parser_error("unknown parser failure."));
        }
        let SetExpr::Select(s) = q.body.as_ref() else {
            return Err(parser_error("unknown parser failure."));
        };
        if s.projection.iter().any(|p| {
            matches!(
                p,
                SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
            )
        }) {
            return Err(parser_error(
                "SELECT * is not supported.  Please manually list the columns you are interested in.",
            ));
        }
        let from = match s.from.as_slice() {
            [] => return Err(parser_error("FROM and WHERE clauses are required.")),
            [one] if one.joins.is_empty() => &one.relation,
            _ => return Err(parser_error("unknown parser failure.")),
        };
        let TableFactor::Table { name, .. } = from else {
            return Err(parser_error("unknown parser failure."));
        };
        let table_name: String = name
            .0
            .iter()
            .map(|p| match p {
                ObjectNamePart::Identifier(i) => i.value.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".");
        let table = match table_name.to_ascii_lowercase().as_str() {
            "user" => Table::User,
            "friend" => Table::Friend,
            _ => return Err(unknown_table(&table_name)),
        };
        let columns = s
            .projection
            .iter()
            .map(|p| match p {
                SelectItem::UnnamedExpr(e) => self.column(table, e),
                SelectItem::ExprWithAlias { expr, .. } => self.column(table, expr),
                _ => Err(parser_error("unknown parser failure.")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let Some(selection) = &s.selection else {
            return Err(parser_error("WHERE clause is required."));
        };
        let filter = self.cond(table, selection)?;
        if !filter.indexable() {
            return Err(LegacyError::with_message(
                ErrorCode::FqlNotIndexable,
                NOT_INDEXABLE,
            ));
        }
        Ok(Select {
            table,
            columns,
            filter,
        })
    }
}

/// Parses one FQL statement.
pub fn parse(text: &str) -> Result<Select, LegacyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(end_of_query());
    }
    if text.len() > MAX_QUERY_LEN {
        return Err(LegacyError::invalid_parameter("query is too long"));
    }
    let statements = Parser::new(&GenericDialect {})
        .with_recursion_limit(32)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| from_sqlparser(text, e))?;
    match statements.as_slice() {
        [Statement::Query(q)] => Walker { text }.query(q),
        [] => Err(end_of_query()),
        _ => Err(parser_error("unknown parser failure.")),
    }
}
