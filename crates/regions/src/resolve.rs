//! From files to a region set: check each file, then the rules that span
//! files (file names, duplicate codes, parents, cycles, currencies), then
//! fold every pack's ancestors into its effective rules.
//!
//! Inheritance: a child's scalar settings replace its parent's;
//! `tax.categories` and `delivery.hours` merge key by key (a child's day
//! replaces that day); lists are the union of parent and child, except that
//! a child's purchase limit for the same category and period replaces the
//! parent's. Nothing of a parent's is dropped silently.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::check::check_file;
use crate::pack::{
    AgeRules, DeliveryRules, RawPack, Region, RegionSet, Rounding, RoundingLevel, TaxRules,
};
use crate::problem::Problem;

/// Check and resolve packs given as (file name, text) pairs. Either every
/// pack is valid and the set is returned, or every problem is.
pub fn load_texts(files: &[(String, String)]) -> Result<RegionSet, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut packs: Vec<RawPack> = Vec::new();
    for (file, text) in files {
        let (pack, mut found) = check_file(file, text);
        problems.append(&mut found);
        if let Some(pack) = pack {
            packs.push(pack);
        }
    }

    let mut by_code: HashMap<String, usize> = HashMap::new();
    for (i, pack) in packs.iter().enumerate() {
        let stem = Path::new(&pack.file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if stem != pack.code.value {
            problems.push(Problem::new(
                &pack.file,
                pack.code.pos,
                format!(
                    "code `{}` does not match the file name; rename the file to {}.yaml or change the code",
                    pack.code.value, pack.code.value
                ),
            ));
        }
        if let Some(&first) = by_code.get(&pack.code.value) {
            problems.push(Problem::new(
                &pack.file,
                pack.code.pos,
                format!(
                    "duplicate code `{}`: {} defines it too",
                    pack.code.value, packs[first].file
                ),
            ));
        } else {
            by_code.insert(pack.code.value.clone(), i);
        }
        if pack.sources.is_empty() {
            problems.push(Problem::new(
                &pack.file,
                pack.code.pos,
                "missing `sources`: say where this pack's figures come from",
            ));
        }
    }

    for pack in &packs {
        let Some(parent) = &pack.extends else {
            continue;
        };
        let Some(&parent_at) = by_code.get(&parent.value) else {
            let mut known: Vec<&str> = by_code.keys().map(String::as_str).collect();
            known.sort_unstable();
            let hint = crate::problem::did_you_mean(&parent.value, &known)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            problems.push(Problem::new(
                &pack.file,
                parent.pos,
                format!(
                    "`extends: {}` names no pack in this folder{hint}",
                    parent.value
                ),
            ));
            continue;
        };
        // Walk up from the parent: meeting this pack again is a cycle.
        let mut seen = vec![pack.code.value.as_str()];
        let mut at = Some(parent_at);
        while let Some(i) = at {
            let code = packs[i].code.value.as_str();
            if code == pack.code.value {
                seen.push(code);
                problems.push(Problem::new(
                    &pack.file,
                    parent.pos,
                    format!("`extends` makes a cycle: {}", seen.join(" -> ")),
                ));
                break;
            }
            if seen.contains(&code) {
                break; // a cycle above us, reported at its own pack
            }
            seen.push(code);
            at = packs[i]
                .extends
                .as_ref()
                .and_then(|p| by_code.get(&p.value).copied());
        }
        let parent_pack = &packs[parent_at];
        if let (Some(mine), Some(theirs)) = (
            &pack.currency,
            effective_currency(&packs, &by_code, parent_pack),
        ) && mine.value != theirs
        {
            problems.push(Problem::new(
                &pack.file,
                mine.pos,
                format!(
                    "currency {} contradicts the parent `{}`, which sells in {}",
                    mine.value.code(),
                    parent.value,
                    theirs.code()
                ),
            ));
        }
    }
    if !problems.is_empty() {
        sort(&mut problems);
        return Err(problems);
    }

    let mut regions = HashMap::new();
    for pack in &packs {
        match resolve(&packs, &by_code, pack) {
            Ok(region) => {
                regions.insert(region.code.clone(), Arc::new(region));
            }
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(RegionSet { regions })
    } else {
        sort(&mut problems);
        Err(problems)
    }
}

fn sort(problems: &mut [Problem]) {
    problems.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
}

fn effective_currency(
    packs: &[RawPack],
    by_code: &HashMap<String, usize>,
    start: &RawPack,
) -> Option<bazaar_domain::Currency> {
    lineage(packs, by_code, start)
        .into_iter()
        .find_map(|p| p.currency.as_ref().map(|c| c.value))
}

/// The pack and its ancestors, nearest first (cycle-safe).
fn lineage<'p>(
    packs: &'p [RawPack],
    by_code: &HashMap<String, usize>,
    start: &'p RawPack,
) -> Vec<&'p RawPack> {
    let mut chain = vec![start];
    let mut at = start
        .extends
        .as_ref()
        .and_then(|p| by_code.get(&p.value).copied());
    while let Some(i) = at {
        if chain.iter().any(|p| p.code.value == packs[i].code.value) {
            break;
        }
        chain.push(&packs[i]);
        at = packs[i]
            .extends
            .as_ref()
            .and_then(|p| by_code.get(&p.value).copied());
    }
    chain
}

fn resolve(
    packs: &[RawPack],
    by_code: &HashMap<String, usize>,
    pack: &RawPack,
) -> Result<Region, Problem> {
    let chain = lineage(packs, by_code, pack);
    let missing = |what: &str| {
        Problem::new(
            &pack.file,
            pack.code.pos,
            format!("no `{what}` in this pack or the packs it extends"),
        )
    };
    let currency = chain
        .iter()
        .find_map(|p| p.currency.as_ref().map(|c| c.value))
        .ok_or_else(|| missing("currency"))?;
    let timezone = chain
        .iter()
        .find_map(|p| p.timezone)
        .ok_or_else(|| missing("timezone"))?;

    // Fold from the root down so each child's settings win.
    let mut tax_rate = None;
    let mut tax = TaxRules {
        rate: Default::default(),
        inclusive: false,
        rounding: Rounding::HalfUp,
        rounding_level: RoundingLevel::Line,
        categories: BTreeMap::new(),
        scheduled: Vec::new(),
    };
    let mut delivery = DeliveryRules::default();
    let mut age = AgeRules::default();
    let mut limits = Vec::new();
    let mut restricted = Vec::new();
    let mut sources = Vec::new();
    let mut notes = Vec::new();
    for p in chain.iter().rev() {
        if let Some(t) = &p.tax {
            tax_rate = t.rate.or(tax_rate);
            tax.inclusive = t.inclusive.unwrap_or(tax.inclusive);
            tax.rounding = t.rounding.unwrap_or(tax.rounding);
            tax.rounding_level = t.rounding_level.unwrap_or(tax.rounding_level);
            tax.categories
                .extend(t.categories.iter().map(|(k, v)| (*k, *v)));
            tax.scheduled.extend(t.scheduled.iter().cloned());
        }
        if let Some(d) = &p.delivery {
            delivery
                .hours
                .extend(d.hours.iter().map(|(k, v)| (*k, v.clone())));
            for e in &d.exceptions {
                delivery.exceptions.retain(|x| x.date != e.date);
                delivery.exceptions.push(e.clone());
            }
            delivery.minimum_order = d.minimum_order.or(delivery.minimum_order);
            delivery.lead_time_minutes = d.lead_time_minutes.unwrap_or(delivery.lead_time_minutes);
        }
        if let Some(a) = &p.age_verification {
            age.required = a.required.unwrap_or(age.required);
            age.minimum_age = a.minimum_age.unwrap_or(age.minimum_age);
            if let Some(cats) = &a.categories {
                let merged = age.categories.get_or_insert_with(Vec::new);
                for c in cats {
                    if !merged.contains(c) {
                        merged.push(*c);
                    }
                }
            }
        }
        for limit in &p.purchase_limits {
            limits.retain(|l: &crate::pack::PurchaseLimit| {
                !(l.category == limit.category && l.per == limit.per)
            });
            limits.push(limit.clone());
        }
        for c in &p.restricted_categories {
            if !restricted.contains(c) {
                restricted.push(*c);
            }
        }
        sources.extend(p.sources.iter().cloned());
        notes.extend(p.notes.iter().cloned());
    }
    tax.rate = tax_rate.ok_or_else(|| missing("tax.rate"))?;
    tax.scheduled.sort_by_key(|s| s.effective_from);
    if age.required && age.minimum_age == 0 {
        return Err(Problem::new(
            &pack.file,
            pack.code.pos,
            "age verification is required but no `minimum_age` is set here or in a parent",
        ));
    }

    let mut version = Sha256::new();
    for p in &chain {
        version.update(p.content_hash.as_bytes());
    }
    Ok(Region {
        code: pack.code.value.clone(),
        name: pack.name.clone().unwrap_or_default(),
        lineage: chain.iter().map(|p| p.code.value.clone()).collect(),
        currency,
        timezone,
        sources,
        notes,
        tax,
        delivery,
        age_verification: age,
        purchase_limits: limits,
        restricted_categories: restricted,
        pack_hash: pack.content_hash.clone(),
        version: hex::encode(version.finalize()),
    })
}

/// Read every `*.yaml` in `dir` (sorted) and load them as a set.
pub fn load_dir(dir: &Path) -> Result<RegionSet, Vec<Problem>> {
    read_dir(dir).and_then(|files| load_texts(&files))
}

/// The `*.yaml` files of `dir` as (path, text), sorted by name.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, Vec<Problem>> {
    let unreadable = |what: String| {
        vec![Problem {
            file: dir.display().to_string(),
            line: 1,
            col: 1,
            message: what,
        }]
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| unreadable(format!("cannot read the folder: {e}")))?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| unreadable(format!("cannot read {}: {e}", path.display())))?;
        files.push((path.display().to_string(), text));
    }
    Ok(files)
}
