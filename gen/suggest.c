/* SPDX-License-Identifier: MIT */
/* suggest: stub */
