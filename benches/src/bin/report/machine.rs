//! The machine the report is made on, as far as Linux's `/proc` and `rustc -V` tell it.

use std::fs::read_to_string;

#[derive(Debug)]
pub struct Machine {
    pub cpu: String,
    pub cores: String,
    pub memory: String,
    pub os: String,
    pub rustc: String,
}

impl Machine {
    /// Looks; what it cannot find is `unknown`.
    pub fn probe() -> Machine {
        let unknown = || "unknown".to_string();
        let cpuinfo = read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = read_to_string("/proc/meminfo").unwrap_or_default();
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        Machine {
            cpu: field(&cpuinfo, "model name").unwrap_or_else(unknown),
            cores: std::thread::available_parallelism()
                .map_or_else(|_| unknown(), |n| n.to_string()),
            memory: field(&meminfo, "MemTotal")
                .and_then(|total| total.trim_end_matches(" kB").parse::<f64>().ok())
                .map_or_else(unknown, |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0)),
            os: read_to_string("/proc/sys/kernel/osrelease").map_or_else(
                |_| std::env::consts::OS.to_string(),
                |release| format!("Linux {}", release.trim()),
            ),
            rustc: std::process::Command::new(rustc)
                .arg("-V")
                .output()
                .ok()
                .and_then(|output| String::from_utf8(output.stdout).ok())
                .map(|version| version.trim().to_string())
                .filter(|version| !version.is_empty())
                .unwrap_or_else(unknown),
        }
    }
}

/// The value of the first `key: value` line of a `/proc` file.
fn field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.trim().to_string())
    })
}
