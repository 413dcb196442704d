/* SPDX-License-Identifier: MIT */
/* id: stub */
