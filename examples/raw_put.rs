//! The benchmark's ceiling for a first sync: the same PUTs bosun makes
//! (every file of a folder, with Content-MD5, streamed from disk) at the
//! same concurrency, and nothing else: no scan for secrets, no manifest,
//! no plan. `scripts/bench.py` times it against the same emulator.
//!
//! ```text
//! raw_put DIR BUCKET PREFIX CONCURRENCY     # AWS_ENDPOINT_URL etc. from the environment
//! ```

use std::path::{Path, PathBuf};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use md5::{Digest, Md5};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, bucket, prefix, concurrency] = args.as_slice() else {
        return Err("usage: raw_put DIR BUCKET PREFIX CONCURRENCY".into());
    };
    let dir = PathBuf::from(dir);
    let concurrency: usize = concurrency.parse()?;
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(conf.endpoint_url().is_some())
            .build(),
    );
    let mut all = Vec::new();
    files(&dir, &mut all)?;
    let start = std::time::Instant::now();
    let count = all.len();
    stream::iter(all)
        .map(|path| {
            let (s3, dir) = (&s3, &dir);
            async move {
                let md5 = Md5::digest(tokio::fs::read(&path).await?);
                let key = format!("{prefix}{}", path.strip_prefix(dir)?.to_string_lossy());
                s3.put_object()
                    .bucket(bucket)
                    .key(key)
                    .content_md5(aws_smithy_types::base64::encode(md5))
                    .body(aws_sdk_s3::primitives::ByteStream::from_path(&path).await?)
                    .send()
                    .await?;
                Ok::<(), Box<dyn std::error::Error>>(())
            }
        })
        .buffer_unordered(concurrency)
        .try_collect::<Vec<()>>()
        .await?;
    println!("{count} {:.3}", start.elapsed().as_secs_f64());
    Ok(())
}
