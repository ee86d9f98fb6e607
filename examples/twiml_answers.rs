//! Writes every answer the shipped flows can give, one TwiML file each, so that CI can check
//! them all against Twilio's schema with xmllint:
//!
//!     cargo run --example twiml_answers -- target/twiml-answers
//!     xmllint --noout --schema ../shared/twiml-schema/twiml_v20100401_twilioRealtimeCallSchema.xsd target/twiml-answers/*.xml

use std::path::PathBuf;

use switchboard::calendar::BankHolidays;
use switchboard::explore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: twiml_answers OUT_DIR [FLOWS_DIR]")?,
    );
    let flows_dir = PathBuf::from(args.next().unwrap_or_else(|| "call-flows".to_owned()));
    let flows = switchboard::check::load_dir(&flows_dir).map_err(|d| format!("{d}"))?;
    std::fs::create_dir_all(&out)?;
    let cases = explore::every_answer(
        &flows,
        &BankHolidays::builtin(),
        &explore::sample_instants(),
    );
    let mut index = String::new();
    for (i, case) in cases.iter().enumerate() {
        let name = format!("{i:05}.xml");
        std::fs::write(out.join(&name), case.answer.response.to_xml(""))?;
        index.push_str(&format!("{name}\t{}\n", case.label));
    }
    // The fallback documents (`switchboard fallback`), for when no server answers.
    for (line, flow) in flows.lines.iter().enumerate() {
        let name = format!("fallback-{}.xml", flow.id);
        let document = switchboard::engine::static_fallback(&flows, line);
        std::fs::write(out.join(&name), document.to_xml(""))?;
        index.push_str(&format!(
            "{name}\tthe fallback document of line {}\n",
            flow.id
        ));
    }
    std::fs::write(out.join("index.tsv"), index)?;
    println!(
        "wrote {} answers and {} fallback documents to {}",
        cases.len(),
        flows.lines.len(),
        out.display()
    );
    Ok(())
}
