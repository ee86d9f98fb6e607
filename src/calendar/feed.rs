//! GOV.UK's bank-holidays feed (`https://www.gov.uk/bank-holidays.json`): fetched in the
//! background, checked, cached on disk and merged into the holidays known by rule.
//!
//! A feed only ever adds holidays. One that fails, times out, is too big, is not the JSON
//! GOV.UK publishes, or leaves out days already known takes nothing away, and is logged: a
//! wrong "open" is worse for a caller than a missed new holiday, which the rules would then
//! lack until the next good feed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::holidays::{BankHolidays, Division, FIRST_YEAR, Holiday, LAST_YEAR};

pub const GOV_UK_URL: &str = "https://www.gov.uk/bank-holidays.json";
/// GOV.UK's file is about 20 KB; anything this large is not it.
pub const MAX_BYTES: usize = 1024 * 1024;
/// A name longer than this is not a holiday's name.
const MAX_TITLE_CHARS: usize = 120;
const SUBSTITUTE_NOTE: &str = "Substitute day";

/// GOV.UK's shape: `{division: {division, events: [{title, date, notes, bunting}]}}`.
#[derive(Debug, Deserialize, Serialize)]
struct RawDivision {
    division: String,
    events: Vec<RawEvent>,
}

#[derive(Debug, Deserialize, Serialize)]
struct RawEvent {
    title: String,
    date: String,
    #[serde(default)]
    notes: String,
}

/// A feed that passed every check: each division's holidays, by date.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Feed {
    divisions: BTreeMap<Division, BTreeMap<NaiveDate, Holiday>>,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("could not fetch it: {0}")]
    Fetch(String),
    #[error("the server answered HTTP {0}")]
    Status(u16),
    #[error("it is larger than {MAX_BYTES} bytes")]
    TooLarge,
    #[error("it is not the JSON GOV.UK publishes: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("it has no {0} division")]
    MissingDivision(Division),
    #[error("its {0} division lists no holidays")]
    NoEvents(Division),
    #[error("its {division} entry {date:?} is not a date like 2026-12-25")]
    BadDate { division: Division, date: String },
    #[error("its {division} entry {date} is outside {FIRST_YEAR} to {LAST_YEAR}")]
    OutOfRange { division: Division, date: NaiveDate },
    #[error("its {division} entry {date} ({title}) is a weekend day, and only days off are listed")]
    Weekend {
        division: Division,
        date: NaiveDate,
        title: String,
    },
    #[error("its {division} entry {date} has an empty, over-long or unprintable title")]
    BadTitle { division: Division, date: NaiveDate },
    #[error(
        "it adds {count} days no rule or list knows in {division}; GOV.UK announces a handful of one-off days a decade, so at most {MAX_NEW_DAYS} are believed at once"
    )]
    TooManyNewDays { division: Division, count: usize },
    #[error("it redirected to another host, {0}: only the feed's own host is followed")]
    OtherHost(String),
    #[error("the cache {path}: {source}")]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the cache in the store: {0}")]
    Saved(String),
}

/// What saving the cache comes to: done, or why not.
pub type SaveFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// Where the last good feed is kept for the next start: the store, in production.
pub trait FeedCache: Send + Sync {
    fn save(&self, feed: &Feed) -> SaveFuture<'_>;
}

/// A file as the cache ([`Feed::write_cache`]): for tools and tests.
pub struct FileCache(pub PathBuf);

impl FeedCache for FileCache {
    fn save(&self, feed: &Feed) -> SaveFuture<'_> {
        let saved = feed.write_cache(&self.0).map_err(|e| e.to_string());
        Box::pin(std::future::ready(saved))
    }
}

impl FeedError {
    fn fetch(error: reqwest::Error) -> Self {
        // reqwest's own message is terse ("error sending request"); the cause says why.
        let mut message = error.to_string();
        let mut cause = std::error::Error::source(&error);
        while let Some(inner) = cause {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            cause = inner.source();
        }
        FeedError::Fetch(message)
    }
}

impl Feed {
    /// Checks a feed document whole: one bad entry refuses all of it.
    pub fn parse(bytes: &[u8]) -> Result<Feed, FeedError> {
        if bytes.len() > MAX_BYTES {
            return Err(FeedError::TooLarge);
        }
        let raw: BTreeMap<String, RawDivision> = serde_json::from_slice(bytes)?;
        let mut feed = Feed::default();
        for division in Division::ALL {
            let section = raw
                .get(division.name())
                .filter(|section| section.division == division.name())
                .ok_or(FeedError::MissingDivision(division))?;
            if section.events.is_empty() {
                return Err(FeedError::NoEvents(division));
            }
            let days = feed.divisions.entry(division).or_default();
            for event in &section.events {
                let holiday = event.checked(division)?;
                days.insert(holiday.date, holiday);
            }
        }
        Ok(feed)
    }

    /// How many holidays it lists, over all divisions.
    pub fn len(&self) -> usize {
        self.divisions.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every holiday of both feeds; where both list a date, `newer`'s name is kept.
    pub fn union(&self, newer: &Feed) -> Feed {
        let mut union = self.clone();
        for (division, days) in &newer.divisions {
            let into = union.divisions.entry(*division).or_default();
            into.extend(days.iter().map(|(d, h)| (*d, h.clone())));
        }
        union
    }

    /// The feed in GOV.UK's own format, as the cache stores it.
    pub fn to_json(&self) -> Vec<u8> {
        let raw: BTreeMap<&str, RawDivision> = self
            .divisions
            .iter()
            .map(|(division, days)| {
                let events = days
                    .values()
                    .map(|h| RawEvent {
                        title: h.name.to_string(),
                        date: h.date.to_string(),
                        notes: if h.substitute {
                            SUBSTITUTE_NOTE.to_owned()
                        } else {
                            String::new()
                        },
                    })
                    .collect();
                let section = RawDivision {
                    division: division.name().to_owned(),
                    events,
                };
                (division.name(), section)
            })
            .collect();
        serde_json::to_vec_pretty(&raw).expect("the feed is plain strings")
    }

    /// The last good feed cached on disk, or `None` if there is no cache yet.
    /// The cached feed, if there is one; only a small regular file is read.
    pub fn read_cache(path: &Path) -> Result<Option<Feed>, FeedError> {
        match crate::state::read_small(path, crate::state::FEED_CACHE_MAX_BYTES) {
            Ok(Some(text)) => Feed::parse(text.as_bytes()).map(Some),
            Ok(None) => Ok(None),
            Err(source) => Err(FeedError::Cache {
                path: path.to_owned(),
                source,
            }),
        }
    }

    pub fn write_cache(&self, path: &Path) -> Result<(), FeedError> {
        crate::state::write_atomically(path, &self.to_json()).map_err(|source| FeedError::Cache {
            path: path.to_owned(),
            source,
        })
    }
}

impl RawEvent {
    fn checked(&self, division: Division) -> Result<Holiday, FeedError> {
        let date =
            NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").map_err(|_| FeedError::BadDate {
                division,
                date: self.date.clone(),
            })?;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            return Err(FeedError::OutOfRange { division, date });
        }
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            return Err(FeedError::Weekend {
                division,
                date,
                title: self.title.clone(),
            });
        }
        let title = self.title.trim();
        if title.is_empty()
            || title.chars().count() > MAX_TITLE_CHARS
            || title.chars().any(char::is_control)
        {
            return Err(FeedError::BadTitle { division, date });
        }
        Ok(Holiday {
            date,
            name: title.into(),
            substitute: self.notes.trim() == SUBSTITUTE_NOTE,
        })
    }
}

/// The holidays after a feed was merged in, and what changed.
#[derive(Debug)]
pub struct Merged {
    pub holidays: BankHolidays,
    /// Dates the feed made holidays that were not known before.
    pub added: Vec<(Division, Holiday)>,
    /// Known holidays inside the feed's span of dates that the feed leaves out: kept, but
    /// worth a look (a moved holiday, or a feed that lost some entries).
    pub left_out: Vec<(Division, Holiday)>,
}

impl BankHolidays {
    /// These holidays plus the feed's. Nothing known is removed; where both know a date, the
    /// feed's name is kept, as GOV.UK writes it.
    pub fn merge(&self, feed: &Feed) -> Merged {
        let mut holidays = self.clone();
        let mut added = Vec::new();
        let mut left_out = Vec::new();
        for (division, days) in &feed.divisions {
            let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) else {
                continue;
            };
            left_out.extend(
                self.between(*division, *first, *last)
                    .filter(|known| !days.contains_key(&known.date))
                    .map(|known| (*division, known.clone())),
            );
            for holiday in days.values() {
                if self.on(*division, holiday.date).is_none() {
                    added.push((*division, holiday.clone()));
                }
                holidays.insert(*division, holiday.clone());
            }
        }
        Merged {
            holidays,
            added,
            left_out,
        }
    }
}

/// The most days a feed may add at once, in a division, that no rule or list knows: GOV.UK
/// has announced about five one-off days in a decade (a jubilee, a funeral, a coronation), so
/// a feed adding more is broken or not GOV.UK's, and would close a line for nothing.
pub const MAX_NEW_DAYS: usize = 3;

impl Merged {
    /// Refused when it adds more new days than GOV.UK's history makes believable.
    fn plausible(&self) -> Result<(), FeedError> {
        for division in [
            Division::EnglandAndWales,
            Division::Scotland,
            Division::NorthernIreland,
        ] {
            let count = self.added.iter().filter(|(d, _)| *d == division).count();
            if count > MAX_NEW_DAYS {
                return Err(FeedError::TooManyNewDays { division, count });
            }
        }
        Ok(())
    }
}

/// Where the feed comes from and how often.
#[derive(Clone)]
pub struct FeedSource {
    pub url: String,
    /// The last good feed (all good feeds, merged) is kept here for the next start.
    pub cache: Arc<dyn FeedCache>,
    pub every: Duration,
    /// For the whole fetch, connecting to the last byte.
    pub timeout: Duration,
}

/// What one refresh changed.
#[derive(Debug)]
pub struct Refreshed {
    /// Where the feed came from, after any redirects on its own host.
    pub final_url: String,
    pub holidays_in_feed: usize,
    pub added: Vec<(Division, Holiday)>,
    pub left_out: Vec<(Division, Holiday)>,
    /// The feed was merged, but could not be cached for the next start.
    pub cache_error: Option<FeedError>,
}

/// Keeps the shared holidays current from the feed. Only it writes to them.
pub struct Refresher {
    source: FeedSource,
    client: reqwest::Client,
    holidays: Arc<ArcSwap<BankHolidays>>,
    cached: Feed,
}

impl Refresher {
    /// `cached` is what [`Feed::read_cache`] found, already merged into `holidays`.
    pub fn new(
        source: FeedSource,
        holidays: Arc<ArcSwap<BankHolidays>>,
        cached: Option<Feed>,
    ) -> Result<Self, FeedError> {
        let host = reqwest::Url::parse(&source.url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned));
        // Redirects are followed on the feed's own host only: a feed sent elsewhere is not
        // GOV.UK's word.
        let same_host = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("more than 5 redirects")
            } else if attempt.url().host_str() == host.as_deref() {
                attempt.follow()
            } else {
                let to = attempt.url().to_string();
                attempt.error(FeedError::OtherHost(to))
            }
        });
        let client = crate::outbound::client()
            .redirect(same_host)
            .timeout(source.timeout)
            .connect_timeout(source.timeout)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(FeedError::fetch)?;
        Ok(Refresher {
            source,
            client,
            holidays,
            cached: cached.unwrap_or_default(),
        })
    }

    /// Fetches the feed once and merges it in; on any error nothing changes.
    pub async fn refresh(&mut self) -> Result<Refreshed, FeedError> {
        let (feed, final_url) = self.fetch().await?;
        let merged = self.holidays.load().merge(&feed);
        merged.plausible()?;
        self.cached = self.cached.union(&feed);
        // Cached before it is in force, so a day callers have heard is known after a restart.
        let cache_error = self
            .source
            .cache
            .save(&self.cached)
            .await
            .err()
            .map(FeedError::Saved);
        self.holidays.store(Arc::new(merged.holidays));
        Ok(Refreshed {
            final_url,
            holidays_in_feed: feed.len(),
            added: merged.added,
            left_out: merged.left_out,
            cache_error,
        })
    }

    /// The feed, and the URL it came from in the end.
    async fn fetch(&self) -> Result<(Feed, String), FeedError> {
        let mut response = self
            .client
            .get(&self.source.url)
            .send()
            .await
            .map_err(FeedError::fetch)?;
        let final_url = response.url().to_string();
        if !response.status().is_success() {
            return Err(FeedError::Status(response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(FeedError::fetch)? {
            if body.len() + chunk.len() > MAX_BYTES {
                return Err(FeedError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((Feed::parse(&body)?, final_url))
    }

    /// Refreshes now and then every `every`, logging each outcome; runs until dropped. After a
    /// failure it tries again sooner, as a new holiday may be only days away.
    pub async fn run(mut self) {
        let retry = self.source.every.min(Duration::from_secs(15 * 60));
        loop {
            let wait = match self.refresh().await {
                Ok(refreshed) => {
                    log_refreshed(&self.source.url, &refreshed);
                    self.source.every
                }
                Err(error) => {
                    tracing::warn!(
                        url = %self.source.url,
                        %error,
                        "bank-holiday feed refused; the holidays already known stay in force"
                    );
                    retry
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

fn log_refreshed(url: &str, refreshed: &Refreshed) {
    tracing::info!(
        url,
        final_url = %refreshed.final_url,
        holidays = refreshed.holidays_in_feed,
        added = refreshed.added.len(),
        "bank-holiday feed merged"
    );
    for (division, holiday) in &refreshed.added {
        tracing::info!(%division, date = %holiday.date, name = %holiday.name, "new bank holiday from the feed");
    }
    for (division, holiday) in &refreshed.left_out {
        tracing::warn!(
            %division,
            date = %holiday.date,
            name = %holiday.name,
            "the feed leaves out a holiday known by rule; keeping it"
        );
    }
    if let Some(error) = &refreshed.cache_error {
        tracing::warn!(%error, "bank-holiday feed not cached; the next start will fetch it again");
    }
}

/// The holidays known without the network: the rules, plus the last good feed cached in the
/// store. A broken cache is reported and left out.
pub fn known_holidays(
    cached: Option<&str>,
    warn: impl Fn(&FeedError),
) -> (std::sync::Arc<BankHolidays>, Option<Feed>) {
    let builtin = BankHolidays::builtin();
    match cached.map(|text| Feed::parse(text.as_bytes())) {
        Some(Ok(feed)) => (
            std::sync::Arc::new(builtin.merge(&feed).holidays),
            Some(feed),
        ),
        None => (builtin, None),
        Some(Err(error)) => {
            warn(&error);
            (builtin, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_json(extra_ew: &str) -> String {
        let division = |name: &str, events: &str| {
            format!(r#""{name}": {{"division": "{name}", "events": [{events}]}}"#)
        };
        let ordinary = r#"{"title": "Christmas Day", "date": "2026-12-25", "notes": "", "bunting": true},
            {"title": "Boxing Day", "date": "2026-12-28", "notes": "Substitute day", "bunting": true}"#;
        format!(
            "{{{}, {}, {}}}",
            division("england-and-wales", &format!("{ordinary}{extra_ew}")),
            division("scotland", ordinary),
            division("northern-ireland", ordinary)
        )
    }

    #[test]
    fn parses_gov_uk_shape_with_substitute_notes() {
        let feed = Feed::parse(feed_json("").as_bytes()).unwrap();
        assert_eq!(feed.len(), 6);
        let boxing = &feed.divisions[&Division::Scotland][&"2026-12-28".parse().unwrap()];
        assert_eq!((&*boxing.name, boxing.substitute), ("Boxing Day", true));
    }

    #[test]
    fn refuses_anything_that_is_not_a_whole_good_feed() {
        let bad = [
            ("", "not the JSON"),
            ("{}", "no england-and-wales division"),
            ("[]", "not the JSON"),
            (
                &feed_json(r#", {"title": "Saturday", "date": "2026-12-26"}"#),
                "weekend",
            ),
            (
                &feed_json(r#", {"title": "Odd", "date": "26/12/2026"}"#),
                "not a date",
            ),
            (
                &feed_json(r#", {"title": " ", "date": "2026-12-29"}"#),
                "title",
            ),
            (
                &feed_json(r#", {"title": "Far", "date": "2101-01-03"}"#),
                "outside",
            ),
        ];
        for (document, expected) in bad {
            let error = Feed::parse(document.as_bytes()).unwrap_err().to_string();
            assert!(
                error.contains(expected),
                "{document:?} gave {error:?}, not {expected:?}"
            );
        }
        let huge = vec![b' '; MAX_BYTES + 1];
        assert!(matches!(Feed::parse(&huge), Err(FeedError::TooLarge)));
    }

    #[test]
    fn merging_adds_new_days_and_never_removes_known_ones() {
        let builtin = BankHolidays::builtin();
        let feed = Feed::parse(
            feed_json(r#", {"title": "Bank holiday for a royal event", "date": "2026-12-29"}"#)
                .as_bytes(),
        )
        .unwrap();
        let merged = builtin.merge(&feed);
        let ew = Division::EnglandAndWales;
        let new_day = "2026-12-29".parse().unwrap();
        assert_eq!(
            merged.holidays.on(ew, new_day).map(|h| &*h.name),
            Some("Bank holiday for a royal event")
        );
        assert_eq!(merged.added.len(), 1);
        // The feed's span is 25-29 December and it lists every known holiday in it.
        assert!(merged.left_out.is_empty(), "{:?}", merged.left_out);
        // Everything known before is still known.
        for division in Division::ALL {
            let first = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).unwrap();
            let last = NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31).unwrap();
            for known in builtin.between(division, first, last) {
                assert!(merged.holidays.on(division, known.date).is_some());
            }
        }
    }

    #[test]
    fn a_feed_that_leaves_out_a_known_day_keeps_it_and_says_so() {
        let document = feed_json("").replace(
            r#"{"title": "Boxing Day", "date": "2026-12-28", "notes": "Substitute day", "bunting": true}"#,
            r#"{"title": "New Year’s Day", "date": "2027-01-01"}"#,
        );
        let feed = Feed::parse(document.as_bytes()).unwrap();
        let merged = BankHolidays::builtin().merge(&feed);
        let boxing = "2026-12-28".parse().unwrap();
        for division in Division::ALL {
            assert!(merged.holidays.on(division, boxing).is_some());
        }
        assert_eq!(merged.left_out.len(), 3, "{:?}", merged.left_out);
        assert!(merged.added.is_empty());
    }

    #[test]
    fn the_cache_round_trips_in_gov_uk_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join(crate::state::FEED_CACHE_FILE);
        assert_eq!(Feed::read_cache(&path).unwrap(), None);
        let feed = Feed::parse(feed_json("").as_bytes()).unwrap();
        feed.write_cache(&path).unwrap();
        assert_eq!(Feed::read_cache(&path).unwrap(), Some(feed));
    }
}
