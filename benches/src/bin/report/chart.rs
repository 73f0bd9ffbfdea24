//! `docs/benchmarks.svg`: under a heading per group, one bar per variant and then the group's
//! Python bars, each its median time per operation on one log scale.
//!
//! plotters is built without a font feature: its SVG backend writes text as `<text>` elements,
//! for the viewer's fonts, so drawing needs no font; label widths are guessed at 7 px a character.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{Python, Spec, scaled, time};

/// The colour and legend entry of each kind of bar: Rust's, in the order of `Kind`, then Python's.
const SERIES: [(RGBColor, &str); 6] = [
    (RGBColor(0xd9, 0x48, 0x0f), "awaitlet (Rust)"),
    (RGBColor(0x1c, 0x7e, 0xd6), "native async (tokio)"),
    (RGBColor(0x86, 0x8e, 0x96), "OS threads / thread bridge"),
    (RGBColor(0x2f, 0x9e, 0x44), "other crates"),
    (RGBColor(0xae, 0x3e, 0xc9), "Python awaitlet"),
    (RGBColor(0xe5, 0x99, 0xf7), "Python asyncio"),
];
const DARK: RGBColor = RGBColor(0x21, 0x25, 0x29);
const MUTED: RGBColor = RGBColor(0x86, 0x8e, 0x96);
/// Heights in px of the title and legend, of a line (a heading or a bar), of an axis.
const TOP: u32 = 64;
const LINE: u32 = 22;
const AXIS: u32 = 24;

pub fn render(spec: &Spec, python: &Python) -> Result<String, Box<dyn std::error::Error>> {
    // Top to bottom: a group's heading (no series), then its bars (median if measured, series).
    let mut lines: Vec<(String, Option<f64>, Option<usize>)> = Vec::new();
    for group in &spec.groups {
        let title = group.title.replace('`', "");
        let heading = format!("{}: {title}, per {}", group.id, group.unit);
        lines.push((heading, None, None));
        for variant in &group.variants {
            let series = Some(variant.kind as usize);
            lines.push((variant.label.clone(), variant.median(), series));
        }
        for id in &group.python {
            let series = Some(if id == "awaitlet" { 4 } else { 5 });
            if let Some(variant) = python.variant(&group.id, id) {
                let label = format!("Python: {}", variant.label);
                lines.push((label, Some(variant.median_ns), series));
            }
        }
    }
    let bars = || lines.iter().filter(|(.., series)| series.is_some());
    let mut medians: Vec<f64> = bars().filter_map(|bar| bar.1).collect();
    medians.sort_by(f64::total_cmp);
    let lowest = medians.first().copied().unwrap_or(1.0);
    let highest = medians.last().copied().unwrap_or(1e3);
    // Whole decades, with at least half a decade of bar for the fastest variant; a hair wider,
    // so that rounding in plotters keeps both end labels.
    let first = (lowest / 2.0).log10().floor() as i32;
    let last = (highest.log10().ceil() as i32).max(first + 1);
    let range = 10f64.powi(first) * 0.999..10f64.powi(last) * 1.001;
    let longest = bars().map(|(label, ..)| label.chars().count() as u32).max();
    let height = TOP + lines.len() as u32 * LINE + 3 * AXIS;

    let mut svg = String::new();
    let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    // plotters' SVG backend writes `size / 1.24` as the font size: undo it, sizes are in px.
    let font = |size: f64, style, colour: RGBColor| {
        FontDesc::new(FontFamily::SansSerif, size * 1.24, style).color(&colour)
    };
    let (normal, bold) = (FontStyle::Normal, FontStyle::Bold);
    let left = Pos::new(HPos::Left, VPos::Center);
    let title = "awaitlet benchmarks: median time per operation (log scale, shorter is faster)";
    root.draw(&Text::new(title, (20, 18), font(16.0, bold, DARK)))?;
    let mut x = 20;
    for (series, (colour, name)) in SERIES.iter().enumerate() {
        if bars().any(|bar| bar.2 == Some(series)) {
            root.draw(&Rectangle::new([(x, 44), (x + 12, 56)], colour.filled()))?;
            root.draw(&Text::new(*name, (x + 16, 45), font(12.0, normal, DARK)))?;
            x += 32 + name.len() as i32 * 6;
        }
    }
    let footer = "cargo bench -p awaitlet-benches; cargo run -p awaitlet-benches --bin report";
    let at_bottom = (20, height as i32 - 18);
    root.draw(&Text::new(footer, at_bottom, font(11.0, normal, MUTED)))?;

    // Line `i` spans `i..i + 1` of the y axis, which counts down from the top.
    let mut chart = ChartBuilder::on(&root)
        .margin_top(TOP)
        .margin_bottom(AXIS + 12)
        .margin_right(80)
        .top_x_label_area_size(AXIS)
        .x_label_area_size(AXIS)
        .y_label_area_size(longest.unwrap_or(0) * 7 + 16)
        .build_cartesian_2d(range.clone().log_scale(), lines.len() as f64..0.0)?;
    let decade = |ns: &f64| {
        let (value, unit) = scaled(*ns);
        format!("{} {unit}", (value * 1e6).round() / 1e6) // `Display` drops the zeros
    };
    let mut mesh = chart.configure_mesh();
    mesh.disable_y_mesh()
        .y_labels(0)
        .x_label_style(font(11.0, normal, MUTED));
    mesh.x_labels((last - first) as usize + 1)
        .x_label_formatter(&decade)
        .draw()?;
    let plot = chart.plotting_area();
    let heading = font(13.0, bold, DARK).pos(left);
    let label = font(12.0, normal, DARK).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, (text, median, series)) in lines.iter().enumerate() {
        let (top, middle) = (i as f64, i as f64 + 0.5);
        let (start, y) = chart.backend_coord(&(range.start, middle));
        let Some(series) = *series else {
            // On a white band across the grid.
            let band = [(range.start, top), (range.end, top + 1.0)];
            plot.draw(&Rectangle::new(band, WHITE.filled()))?;
            root.draw(&Text::new(text.as_str(), (20, y), heading.clone()))?;
            continue;
        };
        root.draw(&Text::new(text.as_str(), (start - 8, y), label.clone()))?;
        // The bar and the figure at its end, or the note where it would start.
        let (x, figure, colour) = match *median {
            Some(ns) => {
                let corners = [(range.start, top), (ns, top + 1.0)];
                let mut bar = Rectangle::new(corners, SERIES[series].0.filled());
                plot.draw(bar.set_margin(3, 3, 0, 0))?;
                (ns, time(ns), DARK)
            }
            None => (range.start, "not measured".into(), MUTED),
        };
        let figure = Text::new(figure, (5, 0), font(12.0, normal, colour).pos(left));
        plot.draw(&(EmptyElement::at((x, middle)) + figure))?;
    }
    root.present()?;
    drop(chart);
    drop(root);
    Ok(svg)
}
