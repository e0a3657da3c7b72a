use super::edit::{Clock, Edit};
use super::reforecast::{Actual, Actuals, reforecast};
use super::*;
use crate::queueing::Seconds;
use chrono::TimeZone;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    // Europe/Berlin is UTC+1 in November.
    Utc.with_ymd_and_hms(2026, 11, 11, h - 1, m, 0).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 11).unwrap()
}

fn clock(s: &str) -> Clock {
    Clock::try_from(s.to_string()).unwrap()
}

/// One voice channel, 08:00–12:00 in half hours at 60 calls of 180 s each (6 Erlangs), four agents
/// on 08:00–12:00 with a break at 10:00, one vendor block of 4 heads.
fn plan() -> LivePlan {
    let demand = Demand {
        open: true,
        volume: 60.0,
        aht_seconds: 180.0,
        offered_load: 6.0,
        shrinkage: 0.0,
        required: 8,
    };
    let shift = |agent: &str| LiveShift {
        agent: agent.into(),
        date: day(),
        channel: "voice".into(),
        start: t(8, 0),
        end: t(12, 0),
        breaks: vec![Break {
            start: t(10, 0),
            end: t(10, 30),
            paid: false,
        }],
        absent_from: None,
        overtime: false,
    };
    LivePlan {
        name: "test".into(),
        time_zone: chrono_tz::Europe::Berlin,
        interval_minutes: 30,
        start: t(8, 0),
        intervals: 8,
        channels: vec![LiveChannel {
            id: "voice".into(),
            kind: ChannelKind::Voice { patience: None },
            target: ServiceTarget::Answered {
                answer_within: Seconds::new(20.0).unwrap(),
                share: 0.8,
                max_abandon: None,
                max_occupancy: None,
            },
            demand: vec![demand; 8],
            intraday_rules: Vec::new(),
        }],
        agents: ["a1", "a2", "a3", "a4", "a5"]
            .iter()
            .map(|id| LiveAgent {
                id: id.to_string(),
                name: format!("Agent {id}"),
                group: "core".into(),
                channels: vec!["voice".into()],
            })
            .collect(),
        vendors: vec![LiveVendor {
            id: "bpo".into(),
            name: "BPO".into(),
            max_heads: BTreeMap::from([("voice".to_string(), 6)]),
        }],
        shifts: ["a1", "a2", "a3", "a4"].iter().map(|a| shift(a)).collect(),
        blocks: vec![LiveBlock {
            vendor: "bpo".into(),
            date: day(),
            channel: "voice".into(),
            start: t(8, 0),
            end: t(12, 0),
            heads: 4,
            committed: None,
            requested_live: false,
        }],
    }
}

#[test]
fn projection_counts_breaks_and_vendor_heads() {
    let view = plan().view();
    let p = &view.projection[0];
    assert_eq!(p[0].core, 4.0);
    assert_eq!(p[0].elastic, 4.0);
    assert_eq!(p[4].core, 0.0, "everyone is on break 10:00–10:30");
    // 8 agents on 6 Erlangs of Erlang C: the service level the queueing engine gives.
    let queue = Queue::new(
        60.0 / 1800.0,
        Seconds::new(180.0).unwrap(),
        crate::queueing::QueueModel::ErlangC,
    )
    .unwrap();
    let expected = queue.evaluate(8, Seconds::new(20.0).unwrap()).unwrap();
    assert!((p[0].service_level.unwrap() - expected.service_level).abs() < 1e-12);
    assert!(p[4].service_level.unwrap() < p[0].service_level.unwrap());
    assert!(p[7].elastic == 4.0 && p[7].core == 4.0);
}

#[test]
fn a_vendor_commitment_below_plan_lowers_the_projection() {
    let mut short = plan();
    short.blocks[0].committed = Some(2);
    let full = plan().view();
    let short = short.view();
    assert_eq!(short.projection[0][0].elastic, 2.0);
    assert!(short.projection[0][0].service_level < full.projection[0][0].service_level);
}

#[test]
fn an_absence_is_projected_and_its_impact_reported() {
    let before = plan().view();
    let edit = Edit::Absence {
        agent: "a1".into(),
        date: day(),
        from: Some(clock("09:00")),
    };
    let (next, from) = edit.apply(&before.plan).unwrap();
    assert_eq!(from, t(9, 0));
    let after = next.clone().view();
    // The update after an edit projects only what changed, and gives the same projection.
    let updated = before.updated(next, &edit.channels(&before.plan));
    assert_eq!(updated.projection, after.projection);
    assert_eq!(after.projection[0][1].core, 4.0);
    assert_eq!(after.projection[0][2].core, 3.0);
    let impact = edit::impact(&before, &after, &edit.channels(&before.plan), from);
    assert_eq!(impact.len(), 1);
    let (b, a) = (&impact[0].before, &impact[0].after);
    assert_eq!(b.from, t(9, 0));
    assert!(a.service_level.unwrap() < b.service_level.unwrap());
    assert!(a.intervals_below_target >= b.intervals_below_target);
    assert_eq!(
        before.plan.shifts[0].absent_from, None,
        "the old plan is untouched"
    );
}

#[test]
fn shift_changes_and_break_moves_are_checked() {
    let p = plan();
    let extend = Edit::ChangeShift {
        agent: "a2".into(),
        date: day(),
        start: None,
        end: Some(clock("13:00")),
    };
    let (next, from) = extend.apply(&p).unwrap();
    assert_eq!(from, t(12, 0));
    assert_eq!(next.view().projection[0][7].core, 4.0);

    let shorten = Edit::ChangeShift {
        agent: "a2".into(),
        date: day(),
        start: None,
        end: Some(clock("10:00")),
    };
    let (next, _) = shorten.apply(&p).unwrap();
    let s = next.shifts.iter().find(|s| s.agent == "a2").unwrap();
    assert!(s.breaks.is_empty(), "the break at 10:00 no longer fits");

    let moved = Edit::MoveBreak {
        agent: "a3".into(),
        date: day(),
        from: clock("10:00"),
        to: clock("11:00"),
    };
    let (next, from) = moved.apply(&p).unwrap();
    assert_eq!(from, t(10, 0));
    let v = next.view();
    assert_eq!(v.projection[0][4].core, 1.0);
    assert_eq!(v.projection[0][6].core, 3.0);

    let outside = Edit::MoveBreak {
        agent: "a3".into(),
        date: day(),
        from: clock("10:00"),
        to: clock("11:45"),
    };
    assert_eq!(outside.apply(&p).unwrap_err().field, "to");
    let no_break = Edit::MoveBreak {
        agent: "a3".into(),
        date: day(),
        from: clock("09:00"),
        to: clock("11:00"),
    };
    let err = no_break.apply(&p).unwrap_err();
    assert_eq!(err.field, "from");
    assert!(err.message.contains("2026-11-11 10:00"), "{}", err.message);
}

#[test]
fn bad_edits_name_the_field() {
    let p = plan();
    let unknown = Edit::Absence {
        agent: "zz".into(),
        date: day(),
        from: None,
    };
    assert_eq!(unknown.apply(&p).unwrap_err().field, "agent");
    let no_shift = Edit::Absence {
        agent: "a5".into(),
        date: day(),
        from: None,
    };
    assert_eq!(no_shift.apply(&p).unwrap_err().field, "date");
    let overlap = Edit::OvertimeShift {
        agent: "a1".into(),
        date: day(),
        channel: "voice".into(),
        start: clock("11:00"),
        end: clock("13:00"),
    };
    assert_eq!(overlap.apply(&p).unwrap_err().field, "start");
    let ok = Edit::OvertimeShift {
        agent: "a5".into(),
        date: day(),
        channel: "voice".into(),
        start: clock("10:00"),
        end: clock("12:00"),
    };
    let (next, _) = ok.apply(&p).unwrap();
    assert_eq!(next.view().projection[0][4].core, 1.0);
    let too_many = Edit::VendorHeads {
        vendor: "bpo".into(),
        date: day(),
        channel: "voice".into(),
        start: clock("09:00"),
        end: clock("10:00"),
        heads: 3,
    };
    let err = too_many.apply(&p).unwrap_err();
    assert_eq!(err.field, "heads");
    assert!(err.message.contains("at most 2 more"), "{}", err.message);
    let wrong_channel = Edit::VendorHeads {
        vendor: "bpo".into(),
        date: day(),
        channel: "fax".into(),
        start: clock("09:00"),
        end: clock("10:00"),
        heads: 1,
    };
    assert_eq!(wrong_channel.apply(&p).unwrap_err().field, "channel");
    assert!(Clock::try_from("24:60".to_string()).is_err());
    assert!(Clock::try_from("7h".to_string()).is_err());
    assert_eq!(clock("25:30").minutes(), 25 * 60 + 30);
}

#[test]
fn a_busy_morning_raises_the_afternoon_and_suggests_cover() {
    let view = plan().view();
    let actuals = Actuals {
        date: day(),
        through: clock("10:00"),
        actuals: (0..4)
            .map(|k| Actual {
                channel: "voice".into(),
                start: clock(&format!("{:02}:{:02}", 8 + k / 2, 30 * (k % 2))),
                volume: 120.0,
            })
            .collect(),
    };
    let r = reforecast(&view, &actuals, &Cancel::default()).unwrap();
    let ch = &r.channels[0];
    assert_eq!(ch.actual_so_far, 480.0);
    assert_eq!(ch.planned_so_far, 240.0);
    assert!(ch.factor > 1.3 && ch.factor < 2.0, "{}", ch.factor);
    assert!(ch.short_agent_intervals > 0);
    assert!(
        r.suggestions
            .iter()
            .any(|s| matches!(s.edit, Edit::VendorHeads { .. })),
        "{:?}",
        r.suggestions
    );
    // Every suggestion is an edit that applies.
    for s in &r.suggestions {
        s.edit.apply(&view.plan).unwrap();
    }

    let wrong = Actuals {
        date: day(),
        through: clock("10:00"),
        actuals: vec![Actual {
            channel: "voice".into(),
            start: clock("10:30"),
            volume: 1.0,
        }],
    };
    assert_eq!(
        reforecast(&view, &wrong, &Cancel::default())
            .unwrap_err()
            .field,
        "actuals[].start"
    );
}

#[test]
fn a_plan_with_a_learned_rule_applies_the_rule_of_its_hour() {
    use crate::forecast::intraday::{CutRule, Persistence};
    let busy = |through: &str, till: u32| Actuals {
        date: day(),
        through: clock(through),
        actuals: (0..till)
            .map(|k| Actual {
                channel: "voice".into(),
                start: clock(&format!("{:02}:{:02}", 8 + k / 2, 30 * (k % 2))),
                volume: 120.0,
            })
            .collect(),
    };
    let rule = |through_minutes: u32, beta: f64| CutRule {
        through_minutes,
        rule: Persistence {
            beta,
            beta_by_lead: None,
            decay_minutes: None,
            days: 40,
        },
    };
    let mut p = plan();
    // This centre's afternoons keep half of the morning's run after 09:00, none after 10:00.
    p.channels[0].intraday_rules = vec![rule(9 * 60, 0.5), rule(10 * 60, 0.0)];
    let view = p.view();
    // Actuals to 09:30: the 09:00 rule. Double the plan so far, and the prior of 20 contacts on
    // either side: (360 + 20) / (180 + 20), to the power 0.5.
    let r = reforecast(&view, &busy("09:30", 3), &Cancel::default()).unwrap();
    let ch = &r.channels[0];
    let expected = ((360.0f64 + 20.0) / (180.0 + 20.0)).powf(0.5);
    assert!(
        (ch.factor - expected).abs() < 1e-9,
        "{} vs {expected}",
        ch.factor
    );
    assert_eq!(ch.rule, Some(rule(9 * 60, 0.5)));
    assert!((ch.rest_of_day_forecast / ch.rest_of_day_planned - expected).abs() < 1e-9);
    // Actuals to 10:00: that centre's rest of day does not follow the morning at all.
    let r = reforecast(&view, &busy("10:00", 4), &Cancel::default()).unwrap();
    assert_eq!(r.channels[0].factor, 1.0);
    assert_eq!(r.channels[0].rule, Some(rule(10 * 60, 0.0)));
    // Before the first learned hour, the prior rule.
    let r = reforecast(&view, &busy("08:30", 1), &Cancel::default()).unwrap();
    assert_eq!(r.channels[0].rule, None);
    assert!(r.channels[0].factor > 1.0);
    // A rule with a β per lead band: the next 90 minutes (three intervals) keep all of the run,
    // the rest of the day none of it.
    let mut by_lead = rule(9 * 60, 0.5);
    by_lead.rule.beta_by_lead = Some([1.0, 1.0, 0.0, 0.0]);
    let mut p = plan();
    p.channels[0].intraday_rules = vec![by_lead];
    let cut = p
        .interval_at(super::instant(p.tz(), day(), clock("09:30").minutes()))
        .unwrap();
    let soon: f64 = (cut..cut + 3).map(|i| p.channels[0].demand[i].volume).sum();
    let r = reforecast(&p.view(), &busy("09:30", 3), &Cancel::default()).unwrap();
    let ch = &r.channels[0];
    let run = (360.0f64 + 20.0) / (180.0 + 20.0);
    let expected = ch.rest_of_day_planned + (run - 1.0) * soon;
    assert!(
        (ch.rest_of_day_forecast - expected).abs() < 1e-6,
        "{} vs {expected}",
        ch.rest_of_day_forecast
    );
    assert!((ch.factor - expected / ch.rest_of_day_planned).abs() < 1e-12);
}

#[test]
fn cancelled_work_stops() {
    let view = plan().view();
    let edit = Edit::Absence {
        agent: "a1".into(),
        date: day(),
        from: None,
    };
    let (next, _) = edit.apply(&view.plan).unwrap();
    let cancel = Cancel::default();
    cancel.cancel();
    let channels = vec!["voice".to_string()];
    assert_eq!(
        view.updated_unless(next.clone(), &channels, &cancel).err(),
        Some(Cancelled)
    );
    assert!(
        view.updated_unless(next, &channels, &Cancel::default())
            .is_ok()
    );
}

#[test]
fn a_diff_lists_what_changed_and_its_service_impact() {
    let before = plan().view();
    let (next, _) = Edit::Absence {
        agent: "a1".into(),
        date: day(),
        from: None,
    }
    .apply(&before.plan)
    .unwrap();
    let mut next = next;
    next.shifts.remove(1); // a2's shift gone
    next.blocks[0].heads = 6;
    next.shifts.push(LiveShift {
        agent: "a5".into(),
        overtime: true,
        ..before.plan.shifts[0].clone()
    });
    let after = next.view();
    let d = diff::diff(&before, &after);
    assert_eq!(
        d.shift_counts(),
        (1, 1, 1),
        "a5 added, a2 removed, a1 changed"
    );
    assert_eq!(d.block_counts(), (0, 0, 1));
    let changed = d
        .shifts
        .iter()
        .find(|c| !c.added() && !c.removed())
        .unwrap();
    assert_eq!(changed.before.as_ref().unwrap().agent, "a1");
    assert!(changed.after.as_ref().unwrap().absent_from.is_some());
    assert_eq!(d.impact.len(), 1);
    let i = &d.impact[0];
    assert_eq!((i.date, i.channel.as_str()), (day(), "voice"));
    // One core agent fewer, two vendor heads more: the service rises.
    assert!(i.after.service_level.unwrap() > i.before.service_level.unwrap());
    assert!(diff::diff(&before, &before).is_empty());
}
