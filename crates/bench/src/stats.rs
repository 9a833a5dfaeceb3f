//! Latency summaries.

use std::time::Duration;

pub struct Summary {
    pub count: usize,
    pub mean: Duration,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let count = samples.len().max(1);
        let at = |q: f64| samples[((count as f64 * q).ceil() as usize).clamp(1, count) - 1];
        Self {
            count: samples.len(),
            mean: samples.iter().sum::<Duration>() / count as u32,
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: *samples.last().unwrap_or(&Duration::ZERO),
        }
    }

    pub fn row(&self, name: &str) -> String {
        let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            self.count,
            ms(self.mean),
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }

    pub const HEADER: &'static str = "| method | n | mean ms | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|";
}
