//! The social graph's legacy methods at the boundary: parameters parsed into typed inputs,
//! answers mapped to [`Value`] trees in the shapes of `legacy-shapes.md`.
//!
//! Invariant: list parameters accept CSV and JSON arrays alike (the 2009 PHP client
//! JSON-encodes every array); a malformed list is error 100 after the session gate.

use super::params::Params;
use super::response::Value;
use crate::domain::{LegacyError, Uid, UserField};
use crate::http::state::AppState;
use crate::services::caller::{gate, Caller};
use crate::services::social::fql;
use crate::services::social::rows::{Cell, Row};
use crate::services::social::{FriendInfo, Social};

pub const FRIENDS_GET: &str = "friends.get";
pub const FRIENDS_GET_APP_USERS: &str = "friends.getAppUsers";
pub const FRIENDS_ARE_FRIENDS: &str = "friends.areFriends";
pub const USERS_GET_INFO: &str = "users.getInfo";
pub const USERS_GET_LOGGED_IN_USER: &str = "users.getLoggedInUser";
pub const USERS_IS_APP_USER: &str = "users.isAppUser";
pub const USERS_IS_APP_ADDED: &str = "users.isAppAdded";
pub const FQL_QUERY: &str = "fql.query";

pub const METHODS: [&str; 8] = [
    FRIENDS_GET,
    FRIENDS_GET_APP_USERS,
    FRIENDS_ARE_FRIENDS,
    USERS_GET_INFO,
    USERS_GET_LOGGED_IN_USER,
    USERS_IS_APP_USER,
    USERS_IS_APP_ADDED,
    FQL_QUERY,
];

/// Most items one list parameter may hold.
pub const MAX_LIST_ITEMS: usize = 1000;

/// `a,b,c`, `[1,2]` or `["a","b"]` as strings, order and duplicates kept.
pub fn split_list(raw: &str, name: &str) -> Result<Vec<String>, LegacyError> {
    let raw = raw.trim();
    let items: Vec<String> = if raw.starts_with('[') {
        let json: Vec<serde_json::Value> = serde_json::from_str(raw)
            .map_err(|_| LegacyError::invalid_parameter(format!("{name} is not a JSON array")))?;
        json.into_iter()
            .map(|v| match v {
                serde_json::Value::Number(n) => Ok(n.to_string()),
                serde_json::Value::String(s) => Ok(s),
                _ => Err(LegacyError::invalid_parameter(format!(
                    "{name} holds a non-scalar"
                ))),
            })
            .collect::<Result<_, _>>()?
    } else if raw.is_empty() {
        Vec::new()
    } else {
        raw.split(',').map(|s| s.trim().to_string()).collect()
    };
    if items.len() > MAX_LIST_ITEMS {
        return Err(LegacyError::invalid_parameter(format!(
            "{name} has more than {MAX_LIST_ITEMS} items"
        )));
    }
    Ok(items)
}

fn uid_item(item: &str, name: &str) -> Result<Uid, LegacyError> {
    Uid::parse(item)
        .ok_or_else(|| LegacyError::invalid_parameter(format!("{name}: `{item}` is not a user id")))
}

fn uid_list(params: &Params, name: &str) -> Result<Vec<Uid>, LegacyError> {
    let raw = params
        .get_str(name)
        .ok_or_else(|| LegacyError::invalid_parameter(format!("{name} is required")))?;
    let items = split_list(&raw, name)?;
    if items.is_empty() {
        return Err(LegacyError::invalid_parameter(format!("{name} is empty")));
    }
    items.iter().map(|i| uid_item(i, name)).collect()
}

fn optional_uid(params: &Params, name: &str) -> Result<Option<Uid>, LegacyError> {
    match params.get_str(name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => uid_item(v.trim(), name).map(Some),
    }
}

fn fields(params: &Params) -> Result<Vec<UserField>, LegacyError> {
    let raw = params
        .get_str("fields")
        .ok_or_else(|| LegacyError::invalid_parameter("fields is required"))?;
    let items = split_list(&raw, "fields")?;
    if items.is_empty() {
        return Err(LegacyError::invalid_parameter("fields is empty"));
    }
    let mut out: Vec<UserField> = Vec::with_capacity(items.len());
    for item in items {
        let f = UserField::parse(&item).ok_or_else(|| {
            LegacyError::invalid_parameter(format!("`{item}` is not a user field"))
        })?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

fn pairs(params: &Params) -> Result<Vec<(Uid, Uid)>, LegacyError> {
    let one = uid_list(params, "uids1")?;
    let two = uid_list(params, "uids2")?;
    if one.len() != two.len() {
        return Err(LegacyError::invalid_parameter(
            "uids1 and uids2 differ in length",
        ));
    }
    Ok(one.into_iter().zip(two).collect())
}

fn uids_value(uids: Vec<Uid>) -> Value {
    Value::list(
        "uid",
        uids.into_iter().map(|u| Value::Uid(u.get())).collect(),
    )
}

fn cell_value(cell: Cell) -> Value {
    match cell {
        Cell::Uid(u) => Value::Uid(u.get()),
        Cell::Text(t) => Value::Str(t),
        Cell::Bool(b) => Value::Bool(b),
        Cell::EmptyList(item) => Value::list(item, Vec::new()),
        Cell::Empty => Value::Empty,
    }
}

fn row_value(row: Row) -> Value {
    Value::Object(
        row.columns
            .into_iter()
            .map(|(k, c)| (k.into(), cell_value(c)))
            .collect(),
    )
}

fn friend_info_value(info: FriendInfo) -> Value {
    Value::Object(vec![
        // The wiki's JSON gives these two as strings; every other uid is a number.
        ("uid1".into(), Value::Str(info.uid1.to_string())),
        ("uid2".into(), Value::Str(info.uid2.to_string())),
        (
            "are_friends".into(),
            info.are_friends.map(Value::Bool).unwrap_or(Value::Nil),
        ),
    ])
}

/// Parses first; a parameter error is answered only after the session gate passed.
async fn checked<T>(
    state: &AppState,
    caller: &Caller<'_>,
    parsed: Result<T, LegacyError>,
) -> Result<T, LegacyError> {
    match parsed {
        Ok(v) => Ok(v),
        Err(e) => {
            gate(&state.store, caller).await?;
            Err(e)
        }
    }
}

/// Answers one of [`METHODS`]; `None` when `method` is not one of them.
pub async fn call(
    state: &AppState,
    caller: &Caller<'_>,
    method: &str,
    params: &Params,
) -> Option<Result<Value, LegacyError>> {
    let method = METHODS.iter().find(|m| **m == method)?;
    Some(answer(state, caller, method, params).await)
}

async fn answer(
    state: &AppState,
    caller: &Caller<'_>,
    method: &str,
    params: &Params,
) -> Result<Value, LegacyError> {
    let social = Social {
        store: &state.store,
        people: &state.people,
    };
    Ok(match method {
        FRIENDS_GET => {
            let uid = checked(state, caller, optional_uid(params, "uid")).await?;
            uids_value(social.friends(caller, uid).await?)
        }
        FRIENDS_GET_APP_USERS => uids_value(social.app_user_friends(caller).await?),
        FRIENDS_ARE_FRIENDS => {
            let pairs = checked(state, caller, pairs(params)).await?;
            let infos = social.are_friends(caller, &pairs).await?;
            Value::list(
                "friend_info",
                infos.into_iter().map(friend_info_value).collect(),
            )
        }
        USERS_GET_INFO => {
            let input = uid_list(params, "uids").and_then(|u| Ok((u, fields(params)?)));
            let (uids, fields) = checked(state, caller, input).await?;
            let rows = social.user_info(caller, &uids, &fields).await?;
            Value::list("user", rows.into_iter().map(row_value).collect())
        }
        USERS_GET_LOGGED_IN_USER => Value::Uid(social.logged_in_user(caller).await?.get()),
        USERS_IS_APP_USER => {
            let uid = checked(state, caller, optional_uid(params, "uid")).await?;
            Value::Bool(social.is_app_user(caller, uid).await?)
        }
        USERS_IS_APP_ADDED => Value::Bool(social.is_app_user(caller, None).await?),
        // FQL_QUERY, the last of METHODS.
        _ => {
            let query = params
                .get_str("query")
                .ok_or_else(|| LegacyError::invalid_parameter("query is required"))
                .and_then(|q| fql::parse(&q));
            let answer = social.fql(caller, query).await?;
            Value::list(
                answer.table,
                answer.rows.into_iter().map(row_value).collect(),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_in_both_forms() {
        assert_eq!(split_list("1, 2,2", "x").unwrap(), vec!["1", "2", "2"]);
        assert_eq!(
            split_list(r#"["name", "pic"]"#, "x").unwrap(),
            vec!["name", "pic"]
        );
        assert_eq!(split_list("[1,2]", "x").unwrap(), vec!["1", "2"]);
        assert_eq!(
            split_list(r#"[" 1"]"#, "x").unwrap(),
            vec![" 1"],
            "JSON as sent"
        );
        assert!(split_list("[{}]", "x").is_err());
        assert!(split_list("[1", "x").is_err());
        assert!(split_list("", "x").unwrap().is_empty());
    }
}
