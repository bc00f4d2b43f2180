//! Policy plans (issue 17): each plan's definition (`peil_core::plan::Plan` as JSON), replaced
//! whole by an import ([`ImportTx::put_plan`], inside the import's transaction) or by a
//! back-office edit ([`Store::save_plan`]); and the check-ins, append-only
//! ([`Store::add_checkin`]; SQLite triggers refuse an update or delete).

use crate::db::params;
use crate::{ImportTx, Result, Store, StoreError, utc_now};
use peil_core::plan::Plan;

/// One check-in: a comment and, for a KPI without a data source, its value of a year.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckIn {
    pub id: i64,
    pub kpi: String,
    pub year: i32,
    pub value: Option<f64>,
    pub comment: String,
    pub who: String,
    pub at: String,
}

fn parse(name: &str, text: &str) -> Result<Plan> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("the definition of plan {name}: {e}")))
}

fn json(plan: &Plan) -> Result<String> {
    serde_json::to_string(plan).map_err(|e| StoreError::Invalid(format!("plan: {e}")))
}

const PUT: &str =
    "INSERT INTO plan (name, definition, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (name) DO UPDATE SET definition = excluded.definition,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by";

impl ImportTx<'_> {
    /// Stores a plan (created, or replacing the one with its name). Check-ins stay: they are
    /// kept by KPI code, and show again when a KPI of that code returns.
    pub fn put_plan(&mut self, plan: &Plan, who: &str) -> Result<bool> {
        let before: Option<String> = self.tx.query_row(
            "SELECT definition FROM plan WHERE name = ?1",
            params![&plan.name],
            |r| r.get(0),
        )?;
        let text = json(plan)?;
        if before.as_deref() == Some(text.as_str()) {
            return Ok(false);
        }
        self.tx
            .execute(PUT, params![&plan.name, &text, &utc_now(), who])?;
        Ok(true)
    }
}

impl Store {
    /// Every plan, by name.
    pub fn plans(&self) -> Result<Vec<Plan>> {
        let rows: Vec<(String, String)> = self.db.query(
            "SELECT name, definition FROM plan ORDER BY name",
            params![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        rows.iter().map(|(n, t)| parse(n, t)).collect()
    }

    pub fn plan(&self, name: &str) -> Result<Option<Plan>> {
        let text: Option<String> = self.db.query_row(
            "SELECT definition FROM plan WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )?;
        text.map(|t| parse(name, &t)).transpose()
    }

    /// Saves an edited plan that exists already (the back office's edit), one statement.
    pub fn save_plan(&self, plan: &Plan, who: &str) -> Result<()> {
        let n = self.db.execute(
            "UPDATE plan SET definition = ?2, updated_at = ?3, updated_by = ?4 WHERE name = ?1",
            params![&plan.name, &json(plan)?, &utc_now(), who],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("no plan '{}'", plan.name)));
        }
        Ok(())
    }

    /// Appends a check-in; returns its id.
    pub fn add_checkin(
        &self,
        plan: &str,
        kpi: &str,
        year: i32,
        value: Option<f64>,
        comment: &str,
        who: &str,
    ) -> Result<i64> {
        self.db.insert(
            "INSERT INTO plan_checkin (plan, kpi, year, value, comment, who, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![plan, kpi, year, value, comment, who, &utc_now()],
        )
    }

    /// A plan's check-ins, oldest first (a later one of the same KPI and year supersedes).
    pub fn checkins(&self, plan: &str) -> Result<Vec<CheckIn>> {
        self.db.query(
            "SELECT id, kpi, year, value, comment, who, at FROM plan_checkin
             WHERE plan = ?1 ORDER BY id",
            params![plan],
            |r| {
                Ok(CheckIn {
                    id: r.get(0)?,
                    kpi: r.get(1)?,
                    year: r.get(2)?,
                    value: r.get(3)?,
                    comment: r.get(4)?,
                    who: r.get(5)?,
                    at: r.get(6)?,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::on_both;

    fn plan(title: &str) -> Plan {
        Plan {
            name: "meerjarenplan".into(),
            title: title.into(),
            levels: vec!["doel".into()],
            public: true,
            goals: vec![],
            kpis: vec![],
        }
    }

    on_both! {
        fn plans_are_replaced_whole_and_check_ins_appended(s: &mut Store) {
            assert!(s.plans().unwrap().is_empty());
            let mut tx = s.begin().unwrap();
            assert!(tx.put_plan(&plan("Plan"), "eva").unwrap());
            assert!(!tx.put_plan(&plan("Plan"), "eva").unwrap(), "unchanged");
            tx.commit().unwrap();
            let mut tx = s.begin().unwrap();
            assert!(tx.put_plan(&plan("Nieuw"), "eva").unwrap());
            drop(tx);
            assert_eq!(s.plan("meerjarenplan").unwrap(), Some(plan("Plan")), "rolled back");
            s.save_plan(&plan("Bewerkt"), "bert").unwrap();
            assert_eq!(s.plans().unwrap(), vec![plan("Bewerkt")]);
            let mut other = plan("x");
            other.name = "ander".into();
            assert!(s.save_plan(&other, "bert").is_err(), "an edit needs the plan");
            let a = s.add_checkin("meerjarenplan", "k1", 2025, Some(0.5), "goed", "eva").unwrap();
            let b = s.add_checkin("meerjarenplan", "k1", 2025, None, "beter", "bert").unwrap();
            let list = s.checkins("meerjarenplan").unwrap();
            assert_eq!(list.iter().map(|c| c.id).collect::<Vec<_>>(), [a, b]);
            assert_eq!((list[0].year, list[0].value, list[1].value), (2025, Some(0.5), None));
            assert!(s.add_checkin("geen", "k1", 2025, None, "", "eva").is_err(), "a plan's");
            let refused = s.db.execute("DELETE FROM plan_checkin", crate::db::params![]).unwrap_err();
            assert!(refused.to_string().contains("append-only"), "{refused}");
        }
    }
}
