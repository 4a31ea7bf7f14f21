//! CloudFront: find or create a site's distribution, invalidate paths.
//!
//! One file per resource; what bosun wants at the edge is `model::edge`.

mod access_control;
mod distribution;
mod functions;
mod headers;
mod invalidation;
mod request_policies;

pub use crate::model::edge::{security_headers, CONTENT_SECURITY_POLICY, HSTS_MAX_AGE, INDEX_FUNCTION_CODE};
pub use access_control::*;
pub use distribution::*;
pub use functions::*;
pub use headers::*;
pub use invalidation::*;
pub use request_policies::*;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudfront::client::Waiters;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, DistributionConfigWithTags, EventType, FrameOptionsList, FunctionAssociation,
    FunctionAssociations, FunctionConfig, FunctionRuntime, FunctionStage, Headers, InvalidationBatch, Method,
    MinimumProtocolVersion, Origin, OriginAccessControlConfig, OriginAccessControlOriginTypes,
    OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols, OriginProtocolPolicy,
    OriginRequestPolicyConfig, OriginRequestPolicyCookieBehavior, OriginRequestPolicyCookiesConfig,
    OriginRequestPolicyHeaderBehavior, OriginRequestPolicyHeadersConfig, OriginRequestPolicyQueryStringBehavior,
    OriginRequestPolicyQueryStringsConfig, OriginRequestPolicyType, OriginSslProtocols, Origins, Paths,
    ReferrerPolicyList, ResponseHeadersPolicyConfig, ResponseHeadersPolicyContentSecurityPolicy,
    ResponseHeadersPolicyContentTypeOptions, ResponseHeadersPolicyFrameOptions, ResponseHeadersPolicyReferrerPolicy,
    ResponseHeadersPolicySecurityHeadersConfig, ResponseHeadersPolicyStrictTransportSecurity,
    ResponseHeadersPolicyType, S3OriginConfig, SslProtocol, SslSupportMethod, Tag, Tags, ViewerCertificate,
    ViewerProtocolPolicy,
};
use aws_sdk_cloudfront::Client;

use super::AwsError;
use crate::model::edge::{CACHING_DISABLED, CACHING_OPTIMIZED};
use crate::model::names::{s3_origin_domain, STACK_TAG};
use crate::model::{LiveOrigin, Setup};
