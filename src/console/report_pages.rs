//! The Reports page and its CSV.

use super::*;

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
        reports::Asked,
        Vec<(String, String)>,
        Result<store::report::Report, String>,
    ),
    Denied,
> {
    let today = console
        .app
        .clock
        .now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let asked = reports::Asked {
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
    let report = match reports::range(&asked) {
        Err(problem) => Err(problem),
        Ok(_) if chosen.is_empty() => Err("There is no such line.".to_owned()),
        Ok((from, to)) => Ok(console.store.report(from, to, &chosen).await?),
    };
    Ok((asked, lines, report))
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
    let page = reports::page(
        &session,
        &asked,
        &lines,
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
    let Some(csv) = reports::table_csv(&report, table) else {
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
