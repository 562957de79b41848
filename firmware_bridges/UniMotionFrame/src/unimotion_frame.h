/*
 * unimotion_frame.h - the one encoder of the UniMotion framed protocol (C99 and C++, no allocation).
 *
 * Frame, little-endian:
 *   A5 5A | len u8 | type u8 | seq u16 | t_us u32 | payload[len] | crc u16
 * crc = CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over len..payload.
 * seq counts samples (the first sample of the frame); t_us is that sample's time in microseconds.
 *
 * Payload types:
 *   1 IMU6: acc_range_g u8, gyro_range_dps u16, period_us u16, then n x {ax ay az gx gy gz} int16
 *   2 ACC3: acc_range_g u8, period_us u16, then n x {ax ay az} int16
 *   value = raw * range / 32768 (g for acc, deg/s for gyro)
 *
 * The studio's decoder is studio/devices/formats/frame.py; both are checked against
 * firmware_bridges/test_vectors.json by tests/test_firmware_encoder.py.
 */
#ifndef UNIMOTION_FRAME_H
#define UNIMOTION_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define UM_SYNC0 0xA5u
#define UM_SYNC1 0x5Au
#define UM_HEADER_SIZE 10u
#define UM_CRC_SIZE 2u
#define UM_MAX_PAYLOAD 255u
#define UM_MAX_FRAME (UM_HEADER_SIZE + UM_MAX_PAYLOAD + UM_CRC_SIZE)
#define UM_TYPE_IMU6 1u
#define UM_TYPE_ACC3 2u
#define UM_IMU6_MAX_SAMPLES 20u /* (255 - 5) / 12 */
#define UM_ACC3_MAX_SAMPLES 42u /* (255 - 3) / 6 */

static inline uint16_t um_crc16(const uint8_t *data, size_t n, uint16_t crc)
{
    size_t i;
    int bit;
    for (i = 0; i < n; i++) {
        crc ^= (uint16_t)((uint16_t)data[i] << 8);
        for (bit = 0; bit < 8; bit++)
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

static inline uint8_t *um_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static inline uint8_t *um_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)(v >> 24);
    return p + 4;
}

/* Write the header; the caller writes `len` payload bytes at out + UM_HEADER_SIZE, then calls
 * um_frame_finish. Returns the payload pointer. */
static inline uint8_t *um_frame_begin(uint8_t *out, uint8_t type, uint16_t seq, uint32_t t_us, uint8_t len)
{
    uint8_t *p = out;
    *p++ = UM_SYNC0;
    *p++ = UM_SYNC1;
    *p++ = len;
    *p++ = type;
    p = um_put_u16(p, seq);
    p = um_put_u32(p, t_us);
    return p;
}

/* Append the CRC; returns the whole frame length. */
static inline size_t um_frame_finish(uint8_t *out)
{
    size_t len = out[2];
    uint16_t crc = um_crc16(out + 2, UM_HEADER_SIZE - 2 + len, 0xFFFFu);
    um_put_u16(out + UM_HEADER_SIZE + len, crc);
    return UM_HEADER_SIZE + len + UM_CRC_SIZE;
}

/* A frame around an arbitrary payload (len <= 255). `out` needs len + 12 bytes. */
static inline size_t um_frame_encode(uint8_t *out, uint8_t type, uint16_t seq, uint32_t t_us,
                                     const uint8_t *payload, uint8_t len)
{
    uint8_t *p = um_frame_begin(out, type, seq, t_us, len);
    size_t i;
    for (i = 0; i < len; i++)
        p[i] = payload[i];
    return um_frame_finish(out);
}

/* n (1..20) samples of acc + gyro as int16 full-scale fractions. `out` needs UM_MAX_FRAME bytes. */
static inline size_t um_encode_imu6(uint8_t *out, uint16_t seq, uint32_t t_us, uint8_t acc_range_g,
                                    uint16_t gyro_range_dps, uint16_t period_us,
                                    const int16_t samples[][6], uint8_t n)
{
    uint8_t *p;
    uint8_t i, k;
    if (n > UM_IMU6_MAX_SAMPLES)
        n = UM_IMU6_MAX_SAMPLES;
    p = um_frame_begin(out, UM_TYPE_IMU6, seq, t_us, (uint8_t)(5u + 12u * n));
    *p++ = acc_range_g;
    p = um_put_u16(p, gyro_range_dps);
    p = um_put_u16(p, period_us);
    for (i = 0; i < n; i++)
        for (k = 0; k < 6; k++)
            p = um_put_u16(p, (uint16_t)samples[i][k]);
    return um_frame_finish(out);
}

/* n (1..42) acceleration-only samples (a device without a gyroscope). */
static inline size_t um_encode_acc3(uint8_t *out, uint16_t seq, uint32_t t_us, uint8_t acc_range_g,
                                    uint16_t period_us, const int16_t samples[][3], uint8_t n)
{
    uint8_t *p;
    uint8_t i, k;
    if (n > UM_ACC3_MAX_SAMPLES)
        n = UM_ACC3_MAX_SAMPLES;
    p = um_frame_begin(out, UM_TYPE_ACC3, seq, t_us, (uint8_t)(3u + 6u * n));
    *p++ = acc_range_g;
    p = um_put_u16(p, period_us);
    for (i = 0; i < n; i++)
        for (k = 0; k < 3; k++)
            p = um_put_u16(p, (uint16_t)samples[i][k]);
    return um_frame_finish(out);
}

/* A physical value (g or deg/s) as an int16 fraction of `range`, rounded and clamped. */
static inline int16_t um_to_raw(float value, float range)
{
    float x = value / range * 32768.0f;
    x = x < 0 ? x - 0.5f : x + 0.5f;
    if (x > 32767.0f)
        return 32767;
    if (x < -32768.0f)
        return -32768;
    return (int16_t)x;
}

#endif /* UNIMOTION_FRAME_H */
