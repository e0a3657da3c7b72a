//! The agents of one channel as the simulator sees them: who can take a contact now, and when the
//! next contact finishes.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A time in seconds, ordered totally so it can live in a heap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Time(pub f64);

impl Eq for Time {}

impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Time {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Agents serving one channel.
pub(crate) trait ServerPool {
    /// Agents on the channel from `now` on. Fewer agents than busy ones: the extra finish what they
    /// hold and take nothing new.
    fn set_agents(&mut self, agents: u32, now: f64);
    /// Whether a new contact can start now.
    fn can_start(&self) -> bool;
    /// Starts a contact needing `work` seconds (of single-session time).
    fn start(&mut self, now: f64, work: f64);
    /// When the next contact in service finishes.
    fn next_completion(&mut self) -> Option<f64>;
    /// Finishes the contact that completes at `now` (the one `next_completion` named).
    fn complete_next(&mut self, now: f64);
    /// Contacts (sessions) in service.
    fn in_service(&self) -> u32;
}

/// Identical slots working one contact each at full speed: voice, email, and chat whose sessions do
/// not slow each other down (an agent with `k` sessions is `k` slots).
pub(crate) struct SlotPool {
    slots_per_agent: u32,
    slots: u32,
    completions: BinaryHeap<Reverse<Time>>,
}

impl SlotPool {
    pub fn new(slots_per_agent: u32) -> Self {
        SlotPool {
            slots_per_agent,
            slots: 0,
            completions: BinaryHeap::new(),
        }
    }
}

impl ServerPool for SlotPool {
    fn set_agents(&mut self, agents: u32, _now: f64) {
        self.slots = agents * self.slots_per_agent;
    }

    fn can_start(&self) -> bool {
        (self.completions.len() as u32) < self.slots
    }

    fn start(&mut self, now: f64, work: f64) {
        self.completions.push(Reverse(Time(now + work)));
    }

    fn next_completion(&mut self) -> Option<f64> {
        self.completions.peek().map(|r| r.0.0)
    }

    fn complete_next(&mut self, _now: f64) {
        self.completions.pop();
    }

    fn in_service(&self) -> u32 {
        self.completions.len() as u32
    }
}

/// Chat agents whose sessions slow each other down: with `s` sessions each progresses at
/// `1 / (1 + slowdown·(s − 1))` of its solo speed. A new session goes to a least-loaded agent.
pub(crate) struct ConcurrentPool {
    max_sessions: u32,
    slowdown: f64,
    active: usize,
    agents: Vec<ChatAgent>,
    /// The active agents by how many sessions they hold, each agent's place in its list in
    /// `ChatAgent::slot`: a least-loaded agent is found in `O(max_sessions)`.
    by_load: Vec<Vec<usize>>,
    /// (finish time, agent, version); entries whose version is stale are skipped.
    heap: BinaryHeap<Reverse<(Time, usize, u64)>>,
    in_service: u32,
}

#[derive(Default)]
struct ChatAgent {
    /// Remaining solo-speed work of each session.
    remaining: Vec<f64>,
    updated_at: f64,
    version: u64,
    /// Index in `by_load[remaining.len()]` while active.
    slot: usize,
}

impl ConcurrentPool {
    pub fn new(max_sessions: u32, slowdown: f64) -> Self {
        ConcurrentPool {
            max_sessions,
            slowdown,
            active: 0,
            agents: Vec::new(),
            by_load: vec![Vec::new(); max_sessions as usize + 1],
            heap: BinaryHeap::new(),
            in_service: 0,
        }
    }

    fn speed(&self, sessions: usize) -> f64 {
        1.0 / (1.0 + self.slowdown * (sessions.max(1) - 1) as f64)
    }

    /// Brings agent `a`'s remaining work up to `now` at its current speed.
    fn advance(&mut self, a: usize, now: f64) {
        let speed = self.speed(self.agents[a].remaining.len());
        let agent = &mut self.agents[a];
        let done = (now - agent.updated_at) * speed;
        for r in &mut agent.remaining {
            *r -= done;
        }
        agent.updated_at = now;
    }

    /// Schedules agent `a`'s next finish after its session count changed.
    fn reschedule(&mut self, a: usize, now: f64) {
        let speed = self.speed(self.agents[a].remaining.len());
        let agent = &mut self.agents[a];
        agent.version += 1;
        if let Some(min) = agent.remaining.iter().copied().min_by(f64::total_cmp) {
            let at = now + min.max(0.0) / speed;
            self.heap.push(Reverse((Time(at), a, agent.version)));
        }
    }

    fn enlist(&mut self, a: usize) {
        let load = self.agents[a].remaining.len();
        self.agents[a].slot = self.by_load[load].len();
        self.by_load[load].push(a);
    }

    fn delist(&mut self, a: usize) {
        let load = self.agents[a].remaining.len();
        let slot = self.agents[a].slot;
        let list = &mut self.by_load[load];
        list.swap_remove(slot);
        if let Some(&moved) = list.get(slot) {
            self.agents[moved].slot = slot;
        }
    }

    fn drop_stale(&mut self) {
        while let Some(Reverse((_, a, v))) = self.heap.peek() {
            if self.agents[*a].version == *v {
                break;
            }
            self.heap.pop();
        }
    }
}

impl ServerPool for ConcurrentPool {
    fn set_agents(&mut self, agents: u32, _now: f64) {
        let agents = agents as usize;
        if self.agents.len() < agents {
            self.agents.resize_with(agents, ChatAgent::default);
        }
        for a in agents..self.active {
            self.delist(a);
        }
        for a in self.active..agents {
            self.enlist(a);
        }
        self.active = agents;
    }

    fn can_start(&self) -> bool {
        self.by_load[..self.max_sessions as usize]
            .iter()
            .any(|list| !list.is_empty())
    }

    fn start(&mut self, now: f64, work: f64) {
        let a = *self.by_load[..self.max_sessions as usize]
            .iter()
            .find_map(|list| list.last())
            .expect("start is only called when an active agent has a free slot");
        self.advance(a, now);
        self.delist(a);
        self.agents[a].remaining.push(work);
        self.enlist(a);
        self.in_service += 1;
        self.reschedule(a, now);
    }

    fn next_completion(&mut self) -> Option<f64> {
        self.drop_stale();
        self.heap.peek().map(|Reverse((t, _, _))| t.0)
    }

    fn complete_next(&mut self, now: f64) {
        self.drop_stale();
        let Some(Reverse((_, a, _))) = self.heap.pop() else {
            return;
        };
        self.advance(a, now);
        let active = a < self.active;
        if active {
            self.delist(a);
        }
        let agent = &mut self.agents[a];
        if let Some((i, _)) = agent
            .remaining
            .iter()
            .enumerate()
            .min_by(|x, y| x.1.total_cmp(y.1))
        {
            agent.remaining.swap_remove(i);
            self.in_service -= 1;
        }
        if active {
            self.enlist(a);
        }
        self.reschedule(a, now);
    }

    fn in_service(&self) -> u32 {
        self.in_service
    }
}
