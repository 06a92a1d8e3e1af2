//! Environment overrides: `FBBRIDGE__SECTION__KEY=value`, arrays by index.

use super::{err, ConfigError};

pub(super) fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("FBBRIDGE__"))
        .collect();
    vars.sort();
    for (name, value) in vars {
        let path: Vec<String> = name["FBBRIDGE__".len()..]
            .split("__")
            .map(|s| s.to_ascii_lowercase())
            .collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(err(&name, "empty path segment"));
        }
        set_path(table, &path, env_value(&value)).map_err(|m| err(&name, m))?;
    }
    Ok(())
}

/// An environment value is read as a TOML value when it is one (numbers, booleans, arrays),
/// else as a plain string.
fn env_value(raw: &str) -> toml::Value {
    let wrapped = format!("v = {raw}");
    match wrapped.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.into()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> Result<(), String> {
    let (head, rest) = path.split_first().ok_or("empty path")?;
    let head = if head == "apps" { "app" } else { head.as_str() };
    if rest.is_empty() {
        table.insert(head.to_string(), value);
        return Ok(());
    }
    let entry = table
        .entry(head.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    set_in_value(entry, rest, value)
}

fn set_in_value(node: &mut toml::Value, path: &[String], value: toml::Value) -> Result<(), String> {
    match node {
        toml::Value::Table(t) => set_path(t, path, value),
        toml::Value::Array(items) => {
            let (index, rest) = path.split_first().ok_or("empty path")?;
            let index: usize = index
                .parse()
                .map_err(|_| format!("`{index}` is not an array index"))?;
            let item = items
                .get_mut(index)
                .ok_or_else(|| format!("no entry {index} in the file to override"))?;
            if rest.is_empty() {
                *item = value;
                Ok(())
            } else {
                set_in_value(item, rest, value)
            }
        }
        _ => Err("cannot descend into a plain value".into()),
    }
}
