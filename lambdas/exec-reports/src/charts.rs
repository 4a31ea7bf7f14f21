//! Charts as small PNGs: grouped bars drawn with plotters into an RGB
//! buffer (text in the bundled DejaVu Sans, so no system fonts are needed
//! on Lambda), encoded with `png`. The figures come from [`Chart`]; the
//! plain-text part of a report never depends on them.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::engine::{money, Chart, Unit};

/// DejaVu Sans (fonts/LICENSE): the only font the charts use.
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 320;

/// Bar colours, one per series (colour-blind safe: Okabe-Ito).
const COLOURS: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
];

fn font() -> Result<(), String> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err("the bundled chart font could not be read".into())
    }
}

/// A short label for an axis or a bar: `$12.4k`, `3.7k`, `40%`.
fn axis_label(unit: Unit, v: f64) -> String {
    let short = |x: f64| {
        if x.abs() >= 1000.0 {
            let k = format!("{:.1}", x / 1000.0);
            format!("{}k", k.trim_end_matches(".0"))
        } else {
            format!("{x:.0}")
        }
    };
    match unit {
        Unit::Money if v < 0.0 => format!("-${}", short(-v)),
        Unit::Money => format!("${}", short(v)),
        Unit::Percent => format!("{:.0}%", v * 100.0),
        Unit::Count | Unit::Months => short(v),
    }
}

/// A category name short enough to sit under its bars.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// The chart as PNG bytes.
pub fn png(chart: &Chart) -> Result<Vec<u8>, String> {
    font()?;
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    draw(chart, &mut rgb).map_err(|e| format!("chart {}: {e}", chart.id))?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

fn draw(chart: &Chart, rgb: &mut [u8]) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = chart.categories.len().max(1);
    let values = chart.series.iter().flat_map(|s| s.values.iter().copied());
    let (lo, hi) = values.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    // Headroom for the figures on the bars, and for the legend when there is one.
    let pad = (hi - lo).max(1.0) * if chart.series.len() > 1 { 0.45 } else { 0.12 };
    let (lo, hi) = (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad);
    let mut c = ChartBuilder::on(&root)
        .caption(&chart.title, (FAMILY, 17).into_font())
        .margin(10)
        .x_label_area_size(28)
        .y_label_area_size(52)
        .build_cartesian_2d(0.0..n as f64, lo..hi)?;
    c.configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .x_labels(0)
        .y_labels(5)
        .y_label_formatter(&|v| axis_label(chart.unit, *v))
        .label_style((FAMILY, 12))
        .draw()?;
    let groups = chart.series.len().max(1) as f64;
    let width = 0.8 / groups;
    for (k, s) in chart.series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let bars = s.values.iter().enumerate().map(move |(i, v)| {
            let x0 = i as f64 + 0.1 + width * k as f64;
            Rectangle::new([(x0, 0.0), (x0 + width * 0.92, *v)], colour.filled())
        });
        c.draw_series(bars)?
            .label(s.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
        // The figure on top of each bar, so the picture reads without the axis.
        let tops = s.values.iter().enumerate().map(move |(i, v)| {
            let x = i as f64 + 0.1 + width * (k as f64 + 0.46);
            let anchor = if *v < 0.0 { VPos::Top } else { VPos::Bottom };
            Text::new(
                axis_label(chart.unit, *v),
                (x, *v),
                TextStyle::from((FAMILY, 10).into_font()).pos(Pos::new(HPos::Center, anchor)),
            )
        });
        c.draw_series(tops)?;
    }
    if chart.series.len() > 1 {
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FAMILY, 12))
            .draw()?;
    }
    // Category names under their groups, in the root's pixels.
    let max_chars = (70 / n).clamp(8, 24);
    for (i, name) in chart.categories.iter().enumerate() {
        let (px, py) = c.backend_coord(&(i as f64 + 0.5, lo));
        root.draw(&Text::new(
            shorten(name, max_chars),
            (px, py + 6),
            TextStyle::from((FAMILY, 11).into_font()).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// What a chart shows, in words: the HTML's alt text.
pub fn alt(chart: &Chart) -> String {
    let mut parts = Vec::new();
    for s in &chart.series {
        let values: Vec<String> = chart
            .categories
            .iter()
            .zip(&s.values)
            .map(|(c, v)| {
                let v = if chart.unit == Unit::Money {
                    money(*v)
                } else {
                    chart.unit.show(*v)
                };
                format!("{c} {v}")
            })
            .collect();
        parts.push(format!("{}: {}", s.name, values.join(", ")));
    }
    format!("{}. {}", chart.title, parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{reports, Facts, Series};

    #[test]
    fn a_chart_is_a_png_of_the_stated_size() {
        let chart = Chart {
            id: "t".into(),
            title: "Margin per route".into(),
            unit: Unit::Money,
            categories: vec!["North".into(), "A rather long route name that needs shortening".into()],
            series: vec![Series {
                name: "margin".into(),
                values: vec![1350.0, -350.0],
            }],
        };
        let bytes = png(&chart).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (WIDTH, HEIGHT));
        assert_eq!(
            alt(&chart),
            "Margin per route. margin: North $1,350, A rather long route name that needs shortening -$350"
        );
    }

    #[test]
    fn every_demo_chart_renders() {
        let p = crate::data::parse("portfolio.toml", include_str!("../../../stacks/data/portfolio.toml")).unwrap();
        let mut n = 0;
        for (batch, period) in [("csuite", "2026-W49"), ("portfolio", "2026-12")] {
            for r in reports(batch, &p, &Facts::default(), period).unwrap() {
                for c in &r.charts {
                    assert!(png(c).unwrap().len() > 1000, "{}", c.id);
                    n += 1;
                }
            }
        }
        assert_eq!(n, 4, "CFO revenue and burn, CMO reach, delivery margins");
    }

    #[test]
    fn labels() {
        assert_eq!(axis_label(Unit::Money, 12_400.0), "$12.4k");
        assert_eq!(axis_label(Unit::Money, 12_000.0), "$12k");
        assert_eq!(axis_label(Unit::Money, -350.0), "-$350");
        assert_eq!(axis_label(Unit::Count, 3676.0), "3.7k");
        assert_eq!(shorten("OTA marketplaces (Sailo, GetMyBoat)", 12), "OTA marketp…");
    }
}
