//! What the benches of the live roster share: the sample's plan.

use peakplan::live::LivePlan;
use peakplan::plan::{self, Demand, PlanRequest, Quiet};
use peakplan::scenario::Scenario;
use peakplan::volumes::VolumeSeries;
use std::path::Path;

/// The sample's roster: models/promo-peak.toml planned against its forecast, as `peakplan
/// schedule` does (about 20 s), or with `PEAKPLAN_BENCH_ROSTER=DIR` the plan.json that
/// `peakplan schedule --out DIR` wrote.
pub fn sample_plan() -> LivePlan {
    if let Ok(given) = std::env::var("PEAKPLAN_BENCH_ROSTER") {
        let text = std::fs::read_to_string(Path::new(&given).join("plan.json"))
            .expect("PEAKPLAN_BENCH_ROSTER names a folder with plan.json");
        return serde_json::from_str(&text).expect("a plan");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("models/promo-peak.toml");
    let scenario = Scenario::load(&path).expect("the sample loads");
    let forecast = VolumeSeries::read(
        root.join("forecasts/promo-peak-forecast.csv"),
        scenario.time_zone,
    )
    .expect("its forecast reads");
    let request = PlanRequest {
        scenario_text: std::fs::read_to_string(&path).expect("the sample"),
        scenario,
        demand: Demand::Forecast(forecast),
        roster: Default::default(),
        simulation: None,
    };
    plan::run(&request, &Quiet).expect("the sample plans").live
}
