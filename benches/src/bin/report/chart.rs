//! `docs/benchmarks.svg`: per group, one horizontal bar per variant, median time per operation on
//! a log scale shared by all groups, drawn with plotters' SVG backend.
//!
//! plotters is built without a font feature: its SVG backend writes text as `<text>` elements,
//! which the viewer renders with its own fonts, and lays labels out with a fixed estimate of glyph
//! widths, so drawing the chart needs no font on the machine that makes it.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::format::{decade_label, format_ns};
use crate::results::{Measurements, Python};
use crate::spec::{Kind, Spec};

/// One group's bars under its heading.
#[derive(Debug)]
pub struct Block {
    pub heading: String,
    pub rows: Vec<Row>,
}

/// One bar: a variant's median per operation, `None` when it was not measured.
#[derive(Debug)]
pub struct Row {
    pub label: String,
    pub ns: Option<f64>,
    pub series: Series,
}

/// What a bar stands for, which sets its colour and its entry in the legend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    Rust(Kind),
    PythonAwaitlet,
    PythonAsyncio,
}

impl Series {
    const ALL: [Series; 6] = [
        Series::Rust(Kind::Awaitlet),
        Series::Rust(Kind::Native),
        Series::Rust(Kind::Threads),
        Series::Rust(Kind::Alternative),
        Series::PythonAwaitlet,
        Series::PythonAsyncio,
    ];

    /// Its colour and its name in the legend.
    fn style(self) -> (RGBColor, &'static str) {
        match self {
            Series::Rust(Kind::Awaitlet) => (RGBColor(0xd9, 0x48, 0x0f), "awaitlet (Rust)"),
            Series::Rust(Kind::Native) => (RGBColor(0x1c, 0x7e, 0xd6), "native async (tokio)"),
            Series::Rust(Kind::Threads) => {
                (RGBColor(0x86, 0x8e, 0x96), "OS threads / thread bridge")
            }
            Series::Rust(Kind::Alternative) => (RGBColor(0x2f, 0x9e, 0x44), "other crates"),
            Series::PythonAwaitlet => (RGBColor(0xae, 0x3e, 0xc9), "Python awaitlet"),
            Series::PythonAsyncio => (RGBColor(0xe5, 0x99, 0xf7), "Python asyncio"),
        }
    }
}

/// The chart's content: every variant of every group, then the Python variants it names.
pub fn blocks(spec: &Spec, data: &Measurements, python: Option<&Python>) -> Vec<Block> {
    let blocks = spec.groups.iter().map(|group| {
        let rust = group.variants.iter().map(|variant| Row {
            label: variant.label.clone(),
            ns: data.get(group, &variant.id).map(|estimate| estimate.median),
            series: Series::Rust(variant.kind),
        });
        let python_group = python.and_then(|python| python.group(&group.id));
        let python = (group.python.iter())
            .filter_map(|id| python_group?.variant(id))
            .map(|variant| Row {
                label: format!("Python: {}", variant.label),
                ns: Some(variant.median_ns),
                series: match variant.id.as_str() {
                    "awaitlet" => Series::PythonAwaitlet,
                    _ => Series::PythonAsyncio,
                },
            });
        let title = group.title.replace('`', "");
        Block {
            heading: format!("{}: {title}, per {}", group.id, group.unit),
            rows: rust.chain(python).collect(),
        }
    });
    blocks.collect()
}

const WIDTH: u32 = 900;
const TOP: u32 = 76;
const HEADING: u32 = 26;
const ROW: u32 = 22;
const AXIS: u32 = 24;
const FOOTER: u32 = 36;
const DARK: RGBColor = RGBColor(0x21, 0x25, 0x29);
const MUTED: RGBColor = RGBColor(0x86, 0x8e, 0x96);

/// Draws the chart as an SVG document.
pub fn render(blocks: &[Block]) -> Result<String, Box<dyn std::error::Error>> {
    let medians = || blocks.iter().flat_map(|b| &b.rows).filter_map(|row| row.ns);
    let lowest = medians().fold(f64::INFINITY, f64::min);
    let highest = medians().fold(0.0, f64::max);
    let (first, last) = if lowest.is_finite() && lowest > 0.0 {
        // At least half a decade of bar for the fastest variant.
        let first = (lowest / 2.0).log10().floor() as i32;
        (first, (highest.log10().ceil() as i32).max(first + 1))
    } else {
        (0, 3) // nothing measured: 1 ns to 1 µs
    };
    // A hair wider than the decades, so that rounding in plotters keeps both end labels.
    let range = 10f64.powi(first) * 0.999..10f64.powi(last) * 1.001;
    // Room for the longest label, at 7 px a character of a 12 px sans-serif font.
    let longest = blocks
        .iter()
        .flat_map(|b| &b.rows)
        .map(|row| row.label.chars().count());
    let label_area = longest.max().unwrap_or(0) as u32 * 7 + 16;

    let rows: u32 = blocks.iter().map(|b| b.rows.len() as u32).sum();
    let height = TOP + blocks.len() as u32 * HEADING + rows * ROW + 2 * AXIS + FOOTER;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        // plotters' SVG backend writes `size / 1.24` as the font size: undo it, sizes are in px.
        let font = |size: f64, style| FontDesc::new(FontFamily::SansSerif, size * 1.24, style);
        let text = |size: f64, colour: RGBColor| font(size, FontStyle::Normal).color(&colour);
        let bold = |size: f64| font(size, FontStyle::Bold).color(&DARK);
        root.draw(&Text::new(
            "awaitlet benchmarks: median time per operation (log scale, shorter is faster)",
            (20, 18),
            bold(16.0),
        ))?;
        let present = |series: &Series| {
            blocks
                .iter()
                .flat_map(|b| &b.rows)
                .any(|r| r.series == *series)
        };
        let mut x = 20;
        for series in Series::ALL.iter().filter(|series| present(series)) {
            let (colour, label) = series.style();
            root.draw(&Rectangle::new([(x, 44), (x + 12, 56)], colour.filled()))?;
            root.draw(&Text::new(label, (x + 16, 45), text(12.0, DARK)))?;
            x += 16 + label.len() as i32 * 7 + 20;
        }

        let (_, mut rest) = root.split_vertically(TOP);
        let at_end = Pos::new(HPos::Left, VPos::Center);
        for (i, block) in blocks.iter().enumerate() {
            let axis_above = if i == 0 { AXIS } else { 0 };
            let axis_below = if i + 1 == blocks.len() { AXIS } else { 0 };
            let n = block.rows.len() as u32;
            let (area, below) = rest.split_vertically(axis_above + HEADING + n * ROW + axis_below);
            rest = below;
            // The heading, then the scale (above the first group only), then the bars.
            area.draw(&Text::new(block.heading.as_str(), (20, 8), bold(13.0)))?;
            let mut chart = ChartBuilder::on(&area)
                .margin_top(HEADING)
                .margin_right(80)
                .top_x_label_area_size(axis_above)
                .x_label_area_size(axis_below)
                .y_label_area_size(label_area)
                .build_cartesian_2d(
                    range.clone().log_scale(),
                    (0..n as i32 - 1).into_segmented(),
                )?;
            // Rows count up from the bottom; the first variant goes on top.
            let row = |index: usize| n as i32 - 1 - index as i32;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_labels((last - first) as usize + 1)
                .x_label_formatter(&|ns| decade_label(*ns))
                .x_label_style(text(11.0, MUTED))
                .y_labels(n as usize)
                .y_label_formatter(&|segment| match segment {
                    SegmentValue::CenterOf(r) => (usize::try_from(row(*r as usize)).ok())
                        .and_then(|index| block.rows.get(index))
                        .map_or(String::new(), |bar| bar.label.clone()),
                    _ => String::new(),
                })
                .y_label_style(text(12.0, DARK))
                .draw()?;
            let plot = chart.plotting_area();
            for (index, bar) in block.rows.iter().enumerate() {
                let r = row(index);
                if let Some(ns) = bar.ns {
                    let (start, end) = (
                        (range.start, SegmentValue::Exact(r)),
                        (ns, SegmentValue::Exact(r + 1)),
                    );
                    let mut rectangle = Rectangle::new([start, end], bar.series.style().0.filled());
                    plot.draw(rectangle.set_margin(3, 3, 0, 0))?;
                }
                // The figure at the end of the bar, or the note where it would start.
                let (x, figure, colour) = match bar.ns {
                    Some(ns) => (ns, format_ns(ns), DARK),
                    None => (range.start, "not measured".to_string(), MUTED),
                };
                let figure = Text::new(figure, (5, 0), text(12.0, colour).pos(at_end));
                plot.draw(&(EmptyElement::at((x, SegmentValue::CenterOf(r))) + figure))?;
            }
        }
        root.draw(&Text::new(
            "cargo bench -p awaitlet-benches; cargo run -p awaitlet-benches --bin report (see BENCHMARKS.md)",
            (20, height as i32 - 18),
            text(11.0, MUTED),
        ))?;
        root.present()?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::measurements;
    use crate::spec::tests::sample;

    /// The content of every `<text>` element.
    fn texts(svg: &str) -> Vec<&str> {
        (svg.split("<text").skip(1))
            .map(|element| {
                let content = &element[element.find('>').unwrap() + 1..];
                content[..content.find("</text>").unwrap()].trim()
            })
            .collect()
    }

    fn python() -> Python {
        serde_json::from_value(serde_json::json!({
            "command": "c", "python": "3", "awaitlet": "0", "greenlet": "3", "cpu": "CPU",
            "nproc": 2, "date": "today",
            "groups": [{"group": "two", "title": "t", "per": "await", "variants": [
                {"id": "awaitlet", "label": "awaitlet()", "median_ns": 950.0},
                {"id": "thread_bridge", "label": "to_thread", "median_ns": 2e5}]}]
        }))
        .unwrap()
    }

    #[test]
    fn every_variant_gets_a_row_and_the_python_ones_named_are_added() {
        let spec = sample();
        let data = measurements(&spec, &[("two", "awaitlet", 2.5), ("two", "native", 1.0)]);
        let python = python();
        let blocks = blocks(&spec, &data, Some(&python));
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].heading, "two: two variants, per await");
        let rows: Vec<_> = (blocks[0].rows.iter())
            .map(|row| (row.label.as_str(), row.ns, row.series))
            .collect();
        // `native` is named but absent from the Python results, `thread_bridge` is not named.
        assert_eq!(
            rows,
            [
                ("awaitlet!", Some(2.5), Series::Rust(Kind::Awaitlet)),
                ("native .await", Some(1.0), Series::Rust(Kind::Native)),
                ("Python: awaitlet()", Some(950.0), Series::PythonAwaitlet),
            ]
        );
        assert_eq!(blocks[1].rows[0].ns, None);
    }

    #[test]
    fn the_chart_is_svg_with_its_text_as_text() {
        let spec = sample();
        let data = measurements(&spec, &[("two", "awaitlet", 2.5), ("two", "native", 1.0)]);
        let svg = render(&blocks(&spec, &data, Some(&python()))).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        // Text stays text, for the viewer's fonts: no glyph outlines, no font files.
        let texts = texts(&svg);
        for text in [
            "awaitlet benchmarks: median time per operation (log scale, shorter is faster)",
            "two: two variants, per await",
            "solo: alone, per round trip",
            "awaitlet!",
            "Python: awaitlet()",
            "2.50 ns",
            "950 ns",
            "not measured",
            "0.1 ns",
            "1 µs",
            "Python awaitlet",
        ] {
            assert!(texts.contains(&text), "missing {text:?} in {texts:?}");
        }
        assert!(!svg.contains("<path") && !svg.contains("@font-face"));
        // The legend shows only what is in the chart.
        assert!(!texts.contains(&"OS threads / thread bridge"));
        let colour = |series: Series| {
            let RGBColor(r, g, b) = series.style().0;
            svg.matches(&format!("fill=\"#{r:02X}{g:02X}{b:02X}\""))
                .count()
        };
        // One bar and one legend square each.
        assert_eq!(colour(Series::Rust(Kind::Awaitlet)), 2);
        assert_eq!(colour(Series::Rust(Kind::Native)), 2);
        assert_eq!(colour(Series::PythonAwaitlet), 2);
    }

    #[test]
    fn a_chart_with_nothing_measured_is_still_drawn() {
        let spec = sample();
        let svg = render(&blocks(&spec, &Measurements::default(), None)).unwrap();
        let texts = texts(&svg);
        assert_eq!(
            texts.iter().filter(|text| **text == "not measured").count(),
            3
        );
        assert!(texts.contains(&"1 ns") && texts.contains(&"1 µs"));
    }
}
