//! The token endpoint's check of a service-account assertion (RFC 7523, RS256).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaKeyPair, UnparsedPublicKey};
use serde_json::Value;

/// The public half (PKCS#1 `RSAPublicKey` DER) of a PKCS#8 PEM RSA key.
pub(super) fn public_key(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(b64).expect("test key is base64");
    RsaKeyPair::from_pkcs8(&der)
        .expect("test key is PKCS#8 RSA")
        .public()
        .as_ref()
        .to_vec()
}

/// Why Google would refuse `assertion`, as its `error_description`; `Ok`
/// with the issuer when it would not.
pub(super) fn check(
    assertion: &str,
    public_key: &[u8],
    account: &str,
    token_uri: &str,
    now: u64,
) -> Result<String, String> {
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, sig] = parts[..] else {
        return Err(
            "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe".into(),
        );
    };
    let json = |part: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| "Invalid JWT: not base64url without padding".to_string())?;
        serde_json::from_slice(&bytes).map_err(|_| "Invalid JWT: not JSON".to_string())
    };
    let (header, claims) = (json(header)?, json(claims)?);
    if header["alg"] != "RS256" {
        return Err(format!("Invalid JWT: alg {} is not RS256", header["alg"]));
    }
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| "Invalid JWT Signature.".to_string())?;
    let signed = &assertion[..assertion.rfind('.').unwrap_or(0)];
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(signed.as_bytes(), &sig)
        .map_err(|_| "Invalid JWT Signature.".to_string())?;
    if claims["iss"] != account {
        return Err("Invalid grant: account not found".into());
    }
    if claims["aud"] != token_uri {
        return Err(format!(
            "Invalid JWT: aud {} is not the token endpoint",
            claims["aud"]
        ));
    }
    let scope = claims["scope"].as_str().unwrap_or_default();
    if !scope.split(' ').any(|s| {
        s == "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
            || s == "https://www.googleapis.com/auth/cloud-platform"
    }) {
        return Err(format!("Invalid scope: {scope:?} does not reach Cloud DNS"));
    }
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap_or(0),
        claims["exp"].as_u64().unwrap_or(0),
    );
    if exp <= iat || exp - iat > 3600 || exp < now || iat > now + 300 {
        return Err(
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.".into(),
        );
    }
    Ok(account.to_string())
}
