//! The Reports page and its CSV.

use super::*;

mod view;

use chrono::NaiveDate;

/// The longest range the page shows: a little over a year.
pub const MOST_DAYS: i64 = 400;

/// What the form asked for.
pub struct Asked {
    pub from: String,
    pub to: String,
    /// A line's id; empty for all lines.
    pub line: String,
}

/// The range asked for, or why it cannot be shown.
pub fn range(asked: &Asked) -> Result<(NaiveDate, NaiveDate), String> {
    let date = |text: &str, which: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format!("The {which} day is not a date: choose one from the calendar."))
    };
    let (from, to) = (date(&asked.from, "first")?, date(&asked.to, "last")?);
    if to < from {
        return Err("The last day is before the first.".to_owned());
    }
    if (to - from).num_days() >= MOST_DAYS {
        return Err(format!(
            "A report here covers at most {MOST_DAYS} days; `switchboard report` covers longer."
        ));
    }
    Ok((from, to))
}

#[derive(serde::Deserialize)]
pub(super) struct ReportQuery {
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
    pub(super) line: Option<String>,
    pub(super) table: Option<String>,
}

/// The report the page or a download asks for (the last 7 days, all lines, by default): what
/// was asked, the lines to choose from, and the report or why there is none.
pub(super) async fn report_for(
    console: &Console,
    query: &ReportQuery,
) -> Result<
    (
        Asked,
        Vec<(String, String)>,
        Result<store::report::Report, String>,
    ),
    Denied,
> {
    let today = uk_today(console);
    let asked = Asked {
        from: query
            .from
            .clone()
            .unwrap_or_else(|| (today - chrono::Duration::days(6)).to_string()),
        to: query.to.clone().unwrap_or_else(|| today.to_string()),
        line: query.line.clone().unwrap_or_default(),
    };
    let flows = console.app.flows.load();
    let lines = crate::reports::lines_of(&flows);
    let chosen: Vec<(String, String)> = lines
        .iter()
        .filter(|(id, _)| asked.line.is_empty() || *id == asked.line)
        .cloned()
        .collect();
    let report = match range(&asked) {
        Err(problem) => Err(problem),
        Ok(_) if chosen.is_empty() => Err("There is no such line.".to_owned()),
        Ok((from, to)) => Ok(console.store.report(from, to, &chosen).await?),
    };
    Ok((asked, lines, report))
}

/// The ranges one click away, from `today`: (words, the query's from and to).
fn quick_ranges(today: NaiveDate) -> Vec<(&'static str, String)> {
    use chrono::Datelike;
    let range = |from: NaiveDate, to: NaiveDate| format!("from={from}&to={to}");
    let this_month = today.with_day(1).unwrap_or(today);
    let last_month_ends = this_month.pred_opt().unwrap_or(this_month);
    let last_month = last_month_ends.with_day(1).unwrap_or(last_month_ends);
    vec![
        (
            "Last 7 days",
            range(today - chrono::Duration::days(6), today),
        ),
        ("This month", range(this_month, today)),
        ("Last month", range(last_month, last_month_ends)),
    ]
}

pub(super) async fn reports_page(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Denied> {
    let (asked, lines, report) = report_for(&console, &query).await?;
    let status = match report {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let flows = console.app.flows.load();
    let page = view::page(
        &session,
        &asked,
        &lines,
        &quick_ranges(uk_today(&console)),
        &flows,
        report.as_ref().map_err(String::as_str),
    );
    Ok((status, html(page)).into_response())
}

pub(super) async fn reports_csv(
    State(console): State<Arc<Console>>,
    session: Session,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Denied> {
    let (asked, _, report) = report_for(&console, &query).await?;
    let table = query.table.as_deref().unwrap_or("summary");
    let report = match report {
        Ok(report) => report,
        Err(problem) => {
            return Ok(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&session),
                &problem,
            ));
        }
    };
    let flows = console.app.flows.load();
    let Some(csv) = view::table_csv(&flows, &report, table) else {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            Some(&session),
            "There is no such table.",
        ));
    };
    let name = format!("switchboard-{table}-{}-to-{}.csv", asked.from, asked.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        csv,
    )
        .into_response())
}
