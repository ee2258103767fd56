//! The sandbox's worlds: what each scenario changes, and a restored world answering for a
//! stored profile.
