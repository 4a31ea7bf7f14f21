//! A fault-injecting HTTP/1.1 proxy on 127.0.0.1 (test-only): forwards each
//! request to the emulator, or, at a set rate, answers it with a fault
//! instead — 503, a throttling error (429 ThrottlingException), a connection
//! reset — or forwards it slowly. Faults are injected before the request
//! reaches the emulator, so the emulator never sees a half-done write.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
pub struct Counts {
    pub requests: AtomicUsize,
    pub errors_503: AtomicUsize,
    pub throttles: AtomicUsize,
    pub resets: AtomicUsize,
    pub slow: AtomicUsize,
    /// The access key ids requests were signed with (SigV4 `Credential=`).
    pub access_keys: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// Request-line prefixes (e.g. `GET /v2/email/account`) answered with an
    /// HTML 404, as a service without that API (or a broken proxy) would.
    pub refuse: std::sync::Mutex<Vec<String>>,
    /// (request-line prefix, matches to let through first, raw HTTP
    /// response): the next match after those is answered once with that
    /// response instead of being forwarded.
    pub answer_once: std::sync::Mutex<Vec<(String, usize, String)>>,
}

impl Counts {
    pub fn injected(&self) -> usize {
        self.errors_503.load(Ordering::SeqCst)
            + self.throttles.load(Ordering::SeqCst)
            + self.resets.load(Ordering::SeqCst)
            + self.slow.load(Ordering::SeqCst)
    }
}

pub struct Proxy {
    pub endpoint: String,
    pub counts: Arc<Counts>,
    /// Faults per 1000 requests.
    pub rate: Arc<AtomicUsize>,
}

/// Starts the proxy in front of `upstream` (e.g. http://127.0.0.1:PORT).
pub fn start(upstream: &str, rate_per_mille: usize, seed: u64) -> Proxy {
    let upstream: SocketAddr = upstream
        .trim_start_matches("http://")
        .parse()
        .expect("upstream host:port");
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", std_listener.local_addr().unwrap());
    let counts = Arc::new(Counts::default());
    let rate = Arc::new(AtomicUsize::new(rate_per_mille));
    let (c, r) = (counts.clone(), rate.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            let rng = Arc::new(AtomicU64::new(seed));
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (c, r, rng) = (c.clone(), r.clone(), rng.clone());
                tokio::spawn(async move {
                    let _ = serve(client, upstream, &c, &r, &rng).await;
                });
            }
        });
    });
    Proxy { endpoint, counts, rate }
}

fn next(rng: &AtomicU64) -> u64 {
    // xorshift64*
    let mut x = rng.load(Ordering::SeqCst);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng.store(x, Ordering::SeqCst);
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Reads one HTTP message head (start line + headers) and its body by
/// Content-Length (or chunked, passed through verbatim).
async fn read_message<R: AsyncBufReadExt + Unpin>(r: &mut R, no_body: bool) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        let end = line == b"\r\n" || line == b"\n";
        head.extend_from_slice(&line);
        if end {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    let chunked = text.contains("transfer-encoding: chunked");
    let mut msg = head;
    if no_body {
        return Ok(Some(msg));
    }
    if chunked {
        loop {
            let mut size_line = Vec::new();
            r.read_until(b'\n', &mut size_line).await?;
            msg.extend_from_slice(&size_line);
            let size = usize::from_str_radix(
                String::from_utf8_lossy(&size_line)
                    .trim()
                    .split(';')
                    .next()
                    .unwrap_or("0"),
                16,
            )
            .unwrap_or(0);
            let mut chunk = vec![0u8; size + 2];
            r.read_exact(&mut chunk).await?;
            msg.extend_from_slice(&chunk);
            if size == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0u8; length];
        r.read_exact(&mut body).await?;
        msg.extend_from_slice(&body);
    }
    Ok(Some(msg))
}

/// A throttling error in the protocol of the service the request is for
/// (read from the SigV4 credential scope): JSON services get
/// `ThrottlingException`, S3 `SlowDown`, query/XML services `Throttling`.
fn throttle(request: &[u8]) -> String {
    let head = String::from_utf8_lossy(&request[..request.len().min(8192)]).to_string();
    let service = head
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("")
        .to_string();
    let (status, ctype, extra, body) = match service.as_str() {
        "s3" => (
            "503 Slow Down",
            "application/xml",
            String::new(),
            "<Error><Code>SlowDown</Code><Message>injected</Message></Error>".to_string(),
        ),
        "cloudfront" | "iam" | "sts" => (
            "400 Bad Request",
            "text/xml",
            String::new(),
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded (injected)</Message></Error></ErrorResponse>".to_string(),
        ),
        _ => (
            "429 Too Many Requests",
            "application/x-amz-json-1.1",
            "x-amzn-errortype: ThrottlingException\r\n".to_string(),
            r#"{"__type":"ThrottlingException","message":"Rate exceeded (injected)"}"#.to_string(),
        ),
    };
    format!(
        "HTTP/1.1 {status}\r\n{extra}content-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    counts: &Counts,
    rate: &AtomicUsize,
    rng: &AtomicU64,
) -> std::io::Result<()> {
    let mut client = BufReader::new(client);
    let mut up: Option<BufReader<TcpStream>> = None;
    loop {
        let Some(request) = read_message(&mut client, false).await? else {
            return Ok(());
        };
        counts.requests.fetch_add(1, Ordering::SeqCst);
        let head = String::from_utf8_lossy(&request[..request.len().min(8192)]).to_string();
        if let Some(key) = head.split("Credential=").nth(1).and_then(|c| c.split('/').next()) {
            counts.access_keys.lock().unwrap().insert(key.to_string());
        }
        let is_head = request.starts_with(b"HEAD ");
        let refused = counts
            .refuse
            .lock()
            .unwrap()
            .iter()
            .any(|p| request.starts_with(p.as_bytes()));
        let canned = {
            let mut once = counts.answer_once.lock().unwrap();
            match once.iter().position(|(p, _, _)| request.starts_with(p.as_bytes())) {
                Some(i) if once[i].1 == 0 => Some(once.remove(i).2),
                Some(i) => {
                    once[i].1 -= 1;
                    None
                }
                None => None,
            }
        };
        if let Some(resp) = canned {
            client.get_mut().write_all(resp.as_bytes()).await?;
            return Ok(());
        }
        if refused {
            let body = "<html><body><h1>404 Not Found</h1></body></html>";
            let resp = format!(
                "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            client.get_mut().write_all(resp.as_bytes()).await?;
            return Ok(());
        }
        let roll = next(rng) % 1000;
        if (roll as usize) < rate.load(Ordering::SeqCst) {
            match next(rng) % 4 {
                0 => {
                    counts.errors_503.fetch_add(1, Ordering::SeqCst);
                    let body = "<Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>";
                    let resp = format!(
                        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    client.get_mut().write_all(resp.as_bytes()).await?;
                    return Ok(());
                }
                1 => {
                    counts.throttles.fetch_add(1, Ordering::SeqCst);
                    client.get_mut().write_all(throttle(&request).as_bytes()).await?;
                    return Ok(());
                }
                2 => {
                    counts.resets.fetch_add(1, Ordering::SeqCst);
                    return Ok(()); // drop the connection without an answer
                }
                _ => {
                    counts.slow.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                }
            }
        }
        let mut response = None;
        for _ in 0..2 {
            if up.is_none() {
                up = Some(BufReader::new(TcpStream::connect(upstream).await?));
            }
            let u = up.as_mut().unwrap();
            let sent = u.get_mut().write_all(&request).await;
            match (sent, read_message(u, is_head).await) {
                (Ok(()), Ok(Some(r))) => {
                    response = Some(r);
                    break;
                }
                // The emulator closed a kept-alive connection: reconnect once.
                _ => up = None,
            }
        }
        let Some(response) = response else { return Ok(()) };
        let head = String::from_utf8_lossy(&response[..response.len().min(4096)]).to_ascii_lowercase();
        if head.contains("\r\nconnection: close") {
            up = None;
        }
        client.get_mut().write_all(&response).await?;
    }
}
